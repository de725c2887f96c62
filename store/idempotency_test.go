package store

import (
	"errors"
	"testing"
	"time"
)

func TestIdempotency(t *testing.T) {
	backends(t, func(f *fixture) {
		rec, err := f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h1")
		if err != nil || rec != nil {
			f.t.Fatalf("first reserve: %+v %v", rec, err)
		}
		key := f.st.Keys().Idempotency("acme", "k1")
		if ttl := f.env.TTL(f.t, key); ttl <= 0 || ttl > DefaultIdempotencyPendingTTL {
			f.t.Fatalf("pending TTL %v", ttl)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h1"); !errors.Is(err, ErrIdempotencyInProgress) {
			f.t.Fatalf("reserve while pending: %v", err)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h2"); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("reserve other body: %v", err)
		}
		// Another tenant's identical key is independent.
		if rec, err := f.st.ReserveIdempotency(f.ctx, "other", "k1", "h2"); err != nil || rec != nil {
			f.t.Fatalf("other tenant: %+v %v", rec, err)
		}
		body := []byte(`{"id":"r1","status":"queued"}`)
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k1", "h1", 202, body, "r1"); err != nil {
			f.t.Fatal(err)
		}
		if ttl := f.env.TTL(f.t, key); ttl <= DefaultIdempotencyPendingTTL || ttl > DefaultIdempotencyTTL {
			f.t.Fatalf("completed TTL %v", ttl)
		}
		f.clock.Advance(time.Hour)
		rec, err = f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h1")
		if err != nil || rec == nil || rec.StatusCode != 202 || string(rec.Body) != string(body) ||
			rec.RequestID != "r1" || rec.Pending || !rec.CreatedAt.Equal(f.clock.Now().Add(-time.Hour)) {
			f.t.Fatalf("replay: %+v %v", rec, err)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "k1", "h9"); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("completed key, other body: %v", err)
		}
		if err := f.st.CompleteIdempotency(f.ctx, "acme", "k1", "h9", 200, nil, ""); !errors.Is(err, ErrIdempotencyConflict) {
			f.t.Fatalf("complete with other body: %v", err)
		}
		// Release drops a pending reservation only.
		if err := f.st.ReleaseIdempotency(f.ctx, "acme", "k1", "h1"); err != nil {
			f.t.Fatal(err)
		}
		if !f.env.Exists(f.t, key) {
			f.t.Fatal("release deleted a completed record")
		}
		if err := f.st.ReleaseIdempotency(f.ctx, "other", "k1", "h2"); err != nil {
			f.t.Fatal(err)
		}
		if rec, err := f.st.ReserveIdempotency(f.ctx, "other", "k1", "h3"); err != nil || rec != nil {
			f.t.Fatalf("reserve after release: %+v %v", rec, err)
		}
		if _, err := f.st.ReserveIdempotency(f.ctx, "acme", "", "h"); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("empty key: %v", err)
		}
	})
}
