package api

import (
	"context"

	"github.com/smsbridge/smsbridge/store"
)

// The daily quota of a request sent with an Idempotency-Key is noted on
// the key's reservation once admit took it. When the create's outcome is
// unknown the charge stays (the request may exist); a retry with the key
// that settles the request as not stored takes the reservation over and,
// with it, the charge, which it gives back before being charged itself
// (settlePending). The store hands a charge to one take-over only, so it
// is given back once at most. Without a key nothing links a retry to the
// first attempt: its charge stays.

// noteQuota notes on the reservation ic of request id what admit charged
// (q). held reports whether the reservation may hold the charge: true when
// noted, and when Redis did not answer (it may have been noted, so giving
// it back elsewhere could give it back twice); false when there is no
// reservation or charge, or the key was taken over before the note (the
// charge then stays this request's to give back).
func (s *Server) noteQuota(ctx context.Context, ic *idemClaim, id string, q quotaTaken) (held bool) {
	if ic == nil || q.n == 0 {
		return false
	}
	noted, err := s.store.RecordIdempotencyQuota(ctx, ic.tenant, ic.key, ic.hash, id, store.QuotaCharge{Day: q.day, N: q.n})
	if err != nil {
		s.log.Warn().Err(err).Str("tenant", ic.tenant).Str("request_id", id).
			Msg("daily quota not noted on the idempotency reservation; a retry cannot give it back")
		return true
	}
	return noted
}

// abandon undoes, for request id which was certainly not stored, its
// reservation ic (so the client may retry with the key at once) and its
// quota charge q. A charge the reservation may hold (held, see noteQuota)
// is given back only if this call released the reservation: otherwise the
// retry that took the key over has it.
func (s *Server) abandon(ic *idemClaim, id string, q quotaTaken, held bool) {
	if released := s.releaseIdem(ic, id); held && !released {
		return
	}
	s.returnQuota(q)
}
