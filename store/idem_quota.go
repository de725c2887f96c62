package store

import (
	"context"
	"fmt"
)

// QuotaCharge is what one create attempt took from its tenant's daily
// quota: N segments of day Day (see Day). The zero value is no charge.
type QuotaCharge struct {
	// Day is the tenant's day the segments were counted in.
	Day int
	// N is the number of segments taken.
	N int64
}

// RecordIdempotencyQuota notes on the pending reservation of (tenant,
// key) for requestID that its create took charge c (TakeQuota), so that
// if the request turns out not stored, the retry that takes the key over
// gives exactly c back (TakeOverIdempotency returns it). Call it after the
// quota was taken, never before: a charge noted but not taken would be
// given back. noted false (nothing written) when the key is no longer
// pending for requestID: it was taken over, so the charge is the caller's
// to give back if the create fails.
func (s *Store) RecordIdempotencyQuota(ctx context.Context, tenant, key, bodyHash, requestID string, c QuotaCharge) (noted bool, err error) {
	if c.N < 0 {
		return false, fmt.Errorf("%w: RecordIdempotencyQuota n %d: must not be negative", ErrInvalid, c.N)
	}
	if requestID == "" {
		return false, fmt.Errorf("%w: RecordIdempotencyQuota: empty request id", ErrInvalid)
	}
	v, err := s.run(ctx, "note idempotency quota", scriptIdemQuota,
		[]string{s.keys.Idempotency(tenant, key)}, bodyHash, requestID, c.Day, c.N)
	if err != nil {
		return false, err
	}
	return asInt(v) == 1, nil
}
