package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// IdemRecord is a stored idempotency record.
type IdemRecord struct {
	// BodyHash identifies the request body the key was first used with.
	BodyHash string
	// Pending is true while the first request is still being processed.
	Pending bool
	// StatusCode, Body and RequestID are the response to replay (set
	// once completed).
	StatusCode int
	Body       []byte
	RequestID  string
	// CreatedAt is when the key was first reserved.
	CreatedAt time.Time
}

// ReserveIdempotency claims (tenant, key) for a request whose body hashes
// to bodyHash. It returns (nil, nil) when the key was free: the caller
// processes the request, then calls CompleteIdempotency (or
// ReleaseIdempotency if it failed). A reservation never completed expires
// after IdempotencyPendingTTL. When the key is known it returns the
// completed record to replay, ErrIdempotencyInProgress when the first
// request is still running, or ErrIdempotencyConflict when the body differs.
func (s *Store) ReserveIdempotency(ctx context.Context, tenant, key, bodyHash string) (*IdemRecord, error) {
	if key == "" || bodyHash == "" {
		return nil, fmt.Errorf("%w: empty idempotency key or body hash", ErrInvalid)
	}
	v, err := s.run(ctx, "reserve idempotency key", scriptIdemReserve,
		[]string{s.keys.Idempotency(tenant, key)},
		bodyHash, ms(s.now()), msDur(s.opts.IdempotencyPendingTTL))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	a := stringsOf(v)
	if len(a) != 6 {
		return nil, fmt.Errorf("%w: idempotency reply %v", ErrBadReply, v)
	}
	rec := &IdemRecord{
		BodyHash: a[0], Pending: a[1] == "pending", Body: []byte(a[3]),
		RequestID: a[4], CreatedAt: fromMS(a[5]),
	}
	rec.StatusCode, _ = strconv.Atoi(a[2])
	switch {
	case rec.BodyHash != bodyHash:
		return rec, fmt.Errorf("%w: key %q", ErrIdempotencyConflict, key)
	case rec.Pending:
		return rec, fmt.Errorf("%w: key %q", ErrIdempotencyInProgress, key)
	}
	return rec, nil
}

// CompleteIdempotency stores the response of the request that reserved
// (tenant, key), to be replayed for IdempotencyTTL.
// ErrIdempotencyConflict when the key belongs to another body.
func (s *Store) CompleteIdempotency(ctx context.Context, tenant, key, bodyHash string, statusCode int, body []byte, requestID string) error {
	v, err := s.run(ctx, "complete idempotency key", scriptIdemComplete,
		[]string{s.keys.Idempotency(tenant, key)},
		bodyHash, statusCode, body, requestID, msDur(s.opts.IdempotencyTTL), ms(s.now()))
	if err != nil {
		return err
	}
	if asInt(v) != 1 {
		return fmt.Errorf("%w: key %q", ErrIdempotencyConflict, key)
	}
	return nil
}

// ReleaseIdempotency drops a pending reservation (the request failed and
// may be retried with the same key). It does nothing for a completed key.
func (s *Store) ReleaseIdempotency(ctx context.Context, tenant, key, bodyHash string) error {
	_, err := s.run(ctx, "release idempotency key", scriptIdemRelease,
		[]string{s.keys.Idempotency(tenant, key)}, bodyHash)
	return err
}
