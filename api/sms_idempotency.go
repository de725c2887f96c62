package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/store"
)

// idemClaim is the Idempotency-Key of one POST /sms.
type idemClaim struct {
	tenant string
	key    string // digest of the client's key
	hash   string // canonical body hash
}

// claimIdempotency reserves the key for nr (nr.ID, nr.Deadline) and
// returns false when the caller should go on and create nr. It returns
// true when it answered: a replay, a conflict, a request still in
// progress, or an error.
//
// A pending reservation whose create can no longer run (its deadline has
// passed) is settled here: if its request exists, it is the answer (202,
// replayed; the first attempt's response was lost or never recorded);
// if not, the id is voided, the key taken over for nr and the daily quota
// the first attempt took given back. So a retry with the same key never
// sends twice nor is charged twice, whatever happened to earlier attempts.
func (s *Server) claimIdempotency(ctx context.Context, c *gin.Context, ic *idemClaim, v *validated, nr *store.NewRequest) bool {
	rec, err := s.store.ReserveIdempotency(ctx, ic.tenant, ic.key, ic.hash, nr.ID, nr.Deadline)
	switch {
	case errors.Is(err, store.ErrIdempotencyConflict):
		abort(c, errorf(http.StatusConflict, CodeIdempotencyConflict, "this Idempotency-Key was used with a different request body"))
		return true
	case errors.Is(err, store.ErrIdempotencyInProgress):
		return s.settlePending(ctx, c, ic, v, rec, nr)
	case err != nil:
		// Nothing was created. The reservation may be written later (a
		// command Redis had not run yet), so releasing it now would not
		// help: a retry settles it once its deadline has passed.
		abortInternal(c, err)
		return true
	case rec != nil:
		replay(c, rec.StatusCode, rec.Body, rec.RequestID)
		return true
	}
	return false
}

// settlePending handles a key whose first request has no recorded
// response yet (see claimIdempotency).
func (s *Server) settlePending(ctx context.Context, c *gin.Context, ic *idemClaim, v *validated, rec *store.IdemRecord, nr *store.NewRequest) bool {
	if rec.RequestID == "" || rec.Deadline.IsZero() || !s.store.Settled(rec.Deadline) {
		wait := time.Second
		if !rec.Deadline.IsZero() {
			wait = max(wait, time.Until(rec.Deadline.Add(s.store.Options().ClockSkew)))
		}
		c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		abort(c, errorf(http.StatusConflict, CodeIdempotencyInProgress, "a request with this Idempotency-Key is still being processed; retry later"))
		return true
	}
	exists, err := s.resolveOnAny(ctx, v.mayUse, rec.RequestID)
	switch {
	case err != nil && isUnavailable(err):
		abortOutcomeUnknown(c, rec.RequestID, err)
		return true
	case err != nil:
		abortInternal(c, err)
		return true
	case exists:
		_, body := sendResponse(v, rec.RequestID)
		if err := s.store.CompleteIdempotency(ctx, ic.tenant, ic.key, ic.hash, http.StatusAccepted, body, rec.RequestID); err != nil {
			logOf(c).err = err // the next retry settles it again
		}
		replay(c, http.StatusAccepted, body, rec.RequestID)
		return true
	}
	ok, refund, err := s.store.TakeOverIdempotency(ctx, ic.tenant, ic.key, ic.hash, rec.RequestID, nr.ID, nr.Deadline)
	switch {
	case err != nil:
		abortInternal(c, err)
		return true
	case !ok:
		c.Header("Retry-After", "1")
		abort(c, errorf(http.StatusConflict, CodeIdempotencyInProgress, "a request with this Idempotency-Key is still being processed; retry later"))
		return true
	}
	// The first attempt's request is known not to exist: give back the
	// quota it took (noted on the reservation, see noteQuota) before this
	// attempt is charged, so the request counts once and a retry is not
	// refused for its own first charge. The store handed the charge to
	// this take-over alone: it is never given back twice.
	s.returnQuota(quotaTaken{tenant: ic.tenant, day: refund.Day, n: refund.N})
	return false
}

// replay answers a recorded response of an idempotent request.
func replay(c *gin.Context, status int, body []byte, requestID string) {
	l := logOf(c)
	l.replayed, l.smsID = true, requestID
	c.Header(IdempotentReplayedHeader, "true")
	if requestID != "" {
		// The retry is how a client that lost the first answer learns
		// where the request is.
		c.Header("Location", "/sms/"+requestID)
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

// releaseIdem drops the reservation of request id, which was certainly
// not stored, so the client can retry with the same key at once, and
// reports whether it did (false without a reservation). Best effort: a
// reservation left behind is settled by the next retry.
func (s *Server) releaseIdem(ic *idemClaim, id string) (released bool) {
	if ic == nil {
		return false
	}
	// Use a fresh context: the request's may be what failed.
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	released, err := s.store.ReleaseIdempotency(ctx, ic.tenant, ic.key, ic.hash, id)
	if err != nil {
		s.log.Warn().Err(err).Str("tenant", ic.tenant).Str("request_id", id).Msg("idempotency reservation not released; the next retry settles it")
	}
	return released
}

// resolveOnAny settles a pending create of request id on every channel it
// may be on: the routing of the first attempt may have picked another
// channel than this retry's (weights, failover), so the request is looked
// for on each of the tenant's channels (and its id voided on those where
// it is not). True when it exists on one.
func (s *Server) resolveOnAny(ctx context.Context, channels []string, id string) (bool, error) {
	found := false
	for _, ch := range channels {
		exists, err := s.store.ResolveCreate(ctx, ch, id)
		if err != nil {
			return false, err
		}
		found = found || exists
	}
	return found, nil
}
