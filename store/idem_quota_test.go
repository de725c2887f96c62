package store

import (
	"errors"
	"testing"
	"time"
)

// The quota a create took is noted on its pending reservation and handed,
// once, to the retry that takes the key over (the request not stored);
// a completed or released record keeps no charge.
func TestIdempotencyQuotaCharge(t *testing.T) {
	backends(t, func(f *fixture) {
		dl := time.Now().Add(time.Minute)
		key := f.st.Keys().Idempotency("acme", "k")
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k", "h", "r1", dl); err != nil {
			f.t.Fatal(err)
		}
		c1 := QuotaCharge{Day: 20500, N: 3}
		// Only the pending request itself notes its charge.
		if ok, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k", "h", "r9", c1); err != nil || ok {
			f.t.Fatalf("note for another request id: %v %v", ok, err)
		}
		if ok, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k", "h2", "r1", c1); err != nil || ok {
			f.t.Fatalf("note with another body: %v %v", ok, err)
		}
		for i := range 2 { // a rerun after a lost reply writes the same
			if ok, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k", "h", "r1", c1); err != nil || !ok {
				f.t.Fatalf("note run %d: %v %v", i+1, ok, err)
			}
		}
		// The take-over hands the charge over; its rerun (lost reply)
		// answers the same, since the caller never saw the first answer.
		for i := range 2 {
			ok, refund, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r1", "r2", dl)
			if err != nil || !ok || refund != c1 {
				f.t.Fatalf("take over run %d: %v %+v %v; want %+v", i+1, ok, refund, err, c1)
			}
		}
		// Nobody else ever gets it.
		if ok, refund, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r1", "r3", dl); err != nil || ok || refund != (QuotaCharge{}) {
			f.t.Fatalf("second take over of r1: %v %+v %v", ok, refund, err)
		}
		// r2's own charge goes to whoever takes r2 over, and only its own.
		c2 := QuotaCharge{Day: 20501, N: 2}
		if ok, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k", "h", "r2", c2); err != nil || !ok {
			f.t.Fatalf("note for r2: %v %v", ok, err)
		}
		if ok, refund, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r2", "r3", dl); err != nil || !ok || refund != c2 {
			f.t.Fatalf("take over of r2: %v %+v %v; want %+v", ok, refund, err, c2)
		}
		// r3 took nothing (no limit, or a record older than charges).
		for i := range 2 {
			if ok, refund, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r3", "r4", dl); err != nil || !ok || refund != (QuotaCharge{}) {
				f.t.Fatalf("take over of r3 run %d: %v %+v %v; want no charge", i+1, ok, refund, err)
			}
		}
		if ok, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k", "h", "r4", QuotaCharge{Day: 20502, N: 1}); err != nil || !ok {
			f.t.Fatalf("note for r4: %v %v", ok, err)
		}
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k", "h", 202, []byte("{}"), "r4"); err != nil {
			f.t.Fatal(err)
		}
		for _, field := range []string{"qd", "qn", "rd", "rn"} {
			if v, ok := f.env.HGetAll(f.t, key)[field]; ok {
				f.t.Fatalf("completed record keeps %s=%s", field, v)
			}
		}
		if ok, refund, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r4", "r5", dl); err != nil || ok || refund != (QuotaCharge{}) {
			f.t.Fatalf("take over of a completed key: %v %+v %v", ok, refund, err)
		}
		if ok, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k", "h", "r4", c1); err != nil || ok {
			f.t.Fatalf("note on a completed key: %v %v", ok, err)
		}

		// A release takes the charge with the reservation.
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k2", "h", "s1", dl); err != nil {
			f.t.Fatal(err)
		}
		if ok, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k2", "h", "s1", c1); err != nil || !ok {
			f.t.Fatalf("note for s1: %v %v", ok, err)
		}
		if ok, err := f.st.ReleaseIdempotency(f.ctx, "acme", "k2", "h", "s1"); err != nil || !ok {
			f.t.Fatalf("release: %v %v", ok, err)
		}
		if f.env.Exists(f.t, f.st.Keys().Idempotency("acme", "k2")) {
			f.t.Fatal("released reservation still stored")
		}
		if ok, err := f.st.ReleaseIdempotency(f.ctx, "acme", "k2", "h", "s1"); err != nil || ok {
			f.t.Fatalf("second release: %v %v", ok, err)
		}
		if _, err := f.st.RecordIdempotencyQuota(f.ctx, "acme", "k2", "h", "s1", QuotaCharge{N: -1}); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("negative charge: %v", err)
		}
	})
}
