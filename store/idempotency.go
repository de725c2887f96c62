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
	// Pending is true until the response is recorded (CompleteIdempotency).
	Pending bool
	// StatusCode and Body are the response to replay (set once completed).
	StatusCode int
	Body       []byte
	// RequestID is the request the key stands for: the one being created
	// while Pending, the one to replay once completed.
	RequestID string
	// Deadline is the create deadline of RequestID while Pending (zero
	// for a reservation written before deadlines existed).
	Deadline time.Time
	// CreatedAt is when the key was first reserved.
	CreatedAt time.Time
}

// ReserveIdempotency claims (tenant, key) for a request whose body hashes
// to bodyHash and which the caller will create as requestID before
// deadline (NewRequest.Deadline). It returns (nil, nil) when the key was
// free: the caller creates the request, then calls CompleteIdempotency
// (or ReleaseIdempotency if it was certainly not stored). The reservation
// lives IdempotencyTTL, like a completed record, so a request stored but
// never completed is never created twice. When the key is known it
// returns the completed record to replay; ErrIdempotencyConflict when the
// body differs; ErrIdempotencyInProgress (with the record) while it is
// pending: once Settled(rec.Deadline), the caller may settle
// rec.RequestID with ResolveCreate and replay it or take the key over.
// A pending reservation for this same requestID and body counts as free:
// it is this call's own, written by a run whose reply was lost.
func (s *Store) ReserveIdempotency(ctx context.Context, tenant, key, bodyHash, requestID string, deadline time.Time) (*IdemRecord, error) {
	if key == "" || bodyHash == "" || requestID == "" {
		return nil, fmt.Errorf("%w: empty idempotency key, body hash or request id", ErrInvalid)
	}
	v, err := s.run(ctx, "reserve idempotency key", scriptIdemReserve,
		[]string{s.keys.Idempotency(tenant, key)},
		bodyHash, ms(s.now()), msDur(s.opts.IdempotencyTTL), requestID, ms(deadline))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	a := stringsOf(v)
	if len(a) != 7 {
		return nil, fmt.Errorf("%w: idempotency reply %v", ErrBadReply, v)
	}
	rec := &IdemRecord{
		BodyHash: a[0], Pending: a[1] == "pending", Body: []byte(a[3]),
		RequestID: a[4], CreatedAt: fromMS(a[5]), Deadline: fromMS(a[6]),
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

// TakeOverIdempotency moves the pending reservation of (tenant, key) from
// oldID — settled as not stored (ResolveCreate returned false) — to newID,
// to be created before deadline. ok false when the record is no longer
// pending for oldID (another retry took it over, or it completed). A
// record already pending for newID answers ok true: this call's own
// take-over, run again after a lost reply.
//
// refund is the daily quota oldID's create took, as noted with
// RecordIdempotencyQuota (zero when none was): the request is known not to
// exist, so the caller gives it back (ReturnQuota). The script hands a
// charge to exactly one take-over, so it is never given back twice.
func (s *Store) TakeOverIdempotency(ctx context.Context, tenant, key, bodyHash, oldID, newID string, deadline time.Time) (ok bool, refund QuotaCharge, err error) {
	v, err := s.run(ctx, "take over idempotency key", scriptIdemTakeOver,
		[]string{s.keys.Idempotency(tenant, key)}, bodyHash, oldID, newID, ms(deadline))
	if err != nil {
		return false, QuotaCharge{}, err
	}
	a := stringsOf(v)
	switch {
	case len(a) == 1 && a[0] == "0":
		return false, QuotaCharge{}, nil
	case len(a) != 3 || a[0] != "1":
		return false, QuotaCharge{}, fmt.Errorf("%w: take over idempotency reply %v", ErrBadReply, v)
	case a[1] == "" || a[2] == "":
		return true, QuotaCharge{}, nil
	}
	day, err1 := strconv.Atoi(a[1])
	n, err2 := strconv.ParseInt(a[2], 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return false, QuotaCharge{}, fmt.Errorf("%w: take over idempotency charge %q %q", ErrBadReply, a[1], a[2])
	}
	return true, QuotaCharge{Day: day, N: n}, nil
}

// CompleteIdempotency stores the response of request requestID, which
// reserved (tenant, key), to be replayed for IdempotencyTTL.
// ErrIdempotencyConflict when the key belongs to another body or is
// reserved for another request id.
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

// ReleaseIdempotency drops the pending reservation of requestID (which
// was certainly not stored), so the key may be reserved again at once.
// released is false, and nothing done, for a completed key or another
// request's reservation. A quota charge noted on the reservation
// (RecordIdempotencyQuota) goes with it: once released is true, only the
// caller can give it back.
func (s *Store) ReleaseIdempotency(ctx context.Context, tenant, key, bodyHash, requestID string) (released bool, err error) {
	v, err := s.run(ctx, "release idempotency key", scriptIdemRelease,
		[]string{s.keys.Idempotency(tenant, key)}, bodyHash, requestID)
	if err != nil {
		return false, err
	}
	return asInt(v) == 1, nil
}
