package store

import (
	"errors"
	"testing"
	"time"
)

func TestIdempotency(t *testing.T) {
	backends(t, func(f *fixture) {
		dl := time.Now().Add(time.Minute)
		rec, err := f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h1", "r1", dl)
		if err != nil || rec != nil {
			f.t.Fatalf("first reserve: %+v %v", rec, err)
		}
		key := f.st.Keys().Idempotency("acme", "k1")
		// A reservation lives as long as a completed record: a request
		// stored but never completed must still be found by a retry.
		if ttl := f.env.TTL(f.t, key); ttl <= DefaultIdempotencyTTL-time.Minute || ttl > DefaultIdempotencyTTL {
			f.t.Fatalf("pending TTL %v", ttl)
		}
		rec, err = f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h1", "r2", dl)
		if !errors.Is(err, ErrIdempotencyInProgress) || rec == nil || rec.RequestID != "r1" || rec.Deadline.UnixMilli() != dl.UnixMilli() {
			f.t.Fatalf("reserve while pending: %+v %v", rec, err)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h2", "r2", dl); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("reserve other body: %v", err)
		}
		// Another tenant's identical key is independent.
		if rec, err := f.st.ReserveIdempotency(f.ctx, "other", "k1", "h2", "o1", dl); err != nil || rec != nil {
			f.t.Fatalf("other tenant: %+v %v", rec, err)
		}
		body := []byte(`{"id":"r1","status":"queued"}`)
		// Only the reserved request id may complete the key.
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k1", "h1", 202, body, "r9"); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("complete for another request id: %v", err)
		}
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k1", "h1", 202, body, "r1"); err != nil {
			f.t.Fatal(err)
		}
		if ttl := f.env.TTL(f.t, key); ttl <= DefaultIdempotencyTTL-time.Minute || ttl > DefaultIdempotencyTTL {
			f.t.Fatalf("completed TTL %v", ttl)
		}
		f.clock.Advance(time.Hour)
		rec, err = f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h1", "r3", dl)
		if err != nil || rec == nil || rec.StatusCode != 202 || string(rec.Body) != string(body) ||
			rec.RequestID != "r1" || rec.Pending || !rec.CreatedAt.Equal(f.clock.Now().Add(-time.Hour)) || !rec.Deadline.IsZero() {
			f.t.Fatalf("replay: %+v %v", rec, err)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h9", "r3", dl); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("completed key, other body: %v", err)
		}
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k1", "h9", 200, nil, ""); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("complete with other body: %v", err)
		}
		// Release drops a pending reservation of the same request only.
		if ok, err := f.st.ReleaseIdempotency(f.ctx, "acme", "k1", "h1", "r1"); err != nil || ok {
			f.t.Fatalf("release of a completed key: %v %v", ok, err)
		}
		if !f.env.Exists(f.t, key) {
			f.t.Fatal("release deleted a completed record")
		}
		if ok, err := f.st.ReleaseIdempotency(f.ctx, "other", "k1", "h2", "o2"); err != nil || ok {
			f.t.Fatalf("release of another request's reservation: %v %v", ok, err)
		}
		if !f.env.Exists(f.t, f.st.Keys().Idempotency("other", "k1")) {
			f.t.Fatal("release deleted another request's reservation")
		}
		if ok, err := f.st.ReleaseIdempotency(f.ctx, "other", "k1", "h2", "o1"); err != nil || !ok {
			f.t.Fatalf("release: %v %v", ok, err)
		}
		if rec, err := f.st.ReserveIdempotency(f.ctx, "other", "k1", "h3", "o3", dl); err != nil || rec != nil {
			f.t.Fatalf("reserve after release: %+v %v", rec, err)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "", "h", "r", dl); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("empty key: %v", err)
		}
	})
}

// A pending reservation whose request was settled as not stored moves to
// a new request id once, whichever retry gets there first.
func TestIdempotencyTakeOver(t *testing.T) {
	backends(t, func(f *fixture) {
		dl := time.Now().Add(time.Minute)
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k", "h", "r1", dl); err != nil {
			f.t.Fatal(err)
		}
		dl2 := dl.Add(time.Second)
		if ok, _, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r1", "r2", dl2); err != nil || !ok {
			f.t.Fatalf("take over: %v %v", ok, err)
		}
		if ok, _, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r1", "r3", dl2); err != nil || ok {
			f.t.Fatalf("second take over of the same id: %v %v", ok, err)
		}
		if ok, _, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "other", "r2", "r3", dl2); err != nil || ok {
			f.t.Fatalf("take over with another body: %v %v", ok, err)
		}
		rec, err := f.st.ReserveIdempotency(f.ctx, "acme", "k", "h", "r4", dl)
		if !errors.Is(err, ErrIdempotencyInProgress) || rec.RequestID != "r2" || rec.Deadline.UnixMilli() != dl2.UnixMilli() {
			f.t.Fatalf("record after take over: %+v %v", rec, err)
		}
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k", "h", 202, []byte("{}"), "r2"); err != nil {
			f.t.Fatal(err)
		}
		if ok, _, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r2", "r5", dl2); err != nil || ok {
			f.t.Fatalf("take over of a completed key: %v %v", ok, err)
		}
	})
}

// go-redis resends a command whose reply was lost (read timeout, EOF), so
// every idempotency script may run twice for one call. The second run of
// a reserve or a take-over must give the first run's answer: otherwise
// the request answers 409 "in progress" for its own reservation.
func TestIdempotencyScriptRerun(t *testing.T) {
	backends(t, func(f *fixture) {
		dl := time.Now().Add(time.Minute)
		for i := range 2 {
			if rec, err := f.st.ReserveIdempotency(f.ctx, "acme", "k", "h", "r1", dl); err != nil || rec != nil {
				f.t.Fatalf("reserve run %d: %+v %v; want the key reserved for r1", i+1, rec, err)
			}
		}
		// Not for another request id, nor another body.
		if rec, err := f.st.ReserveIdempotency(f.ctx, "acme", "k", "h", "r9", dl); !errors.Is(err, ErrIdempotencyInProgress) || rec.RequestID != "r1" {
			f.t.Fatalf("reserve for r9: %+v %v", rec, err)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k", "h2", "r1", dl); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("reserve with another body: %v", err)
		}
		for i := range 2 {
			if ok, _, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r1", "r2", dl); err != nil || !ok {
				f.t.Fatalf("take over run %d: %v %v; want true", i+1, ok, err)
			}
		}
		if ok, _, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r1", "r3", dl); err != nil || ok {
			f.t.Fatalf("take over of r1 by another retry: %v %v; want false", ok, err)
		}
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k", "h", 202, []byte("{}"), "r2"); err != nil {
			f.t.Fatal(err)
		}
		// Completed: a late rerun of the reserve for r2 is a replay.
		rec, err := f.st.ReserveIdempotency(f.ctx, "acme", "k", "h", "r2", dl)
		if err != nil || rec == nil || rec.Pending || rec.RequestID != "r2" {
			f.t.Fatalf("reserve after completion: %+v %v; want the replay", rec, err)
		}
		if ok, _, err := f.st.TakeOverIdempotency(f.ctx, "acme", "k", "h", "r1", "r2", dl); err != nil || ok {
			f.t.Fatalf("take over rerun after completion: %v %v; want false", ok, err)
		}
	})
}
