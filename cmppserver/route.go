package cmppserver

import (
	"context"
	"errors"

	"github.com/smsbridge/smsbridge/internal/routing"
)

// applyRoutes picks the channel of each destination of every SUBMIT of a
// batch (the tenant's routes by carrier, see routing.Router) in the
// commit, off the links' read loops (a carrier lookup may cost a Redis
// read). A destination no channel reaches, or destinations routed to
// several channels (one request is on one channel until requests in parts
// land), get Result 13; a failed lookup Result 100 (retry); a Src_Id too
// long on the channel routed to, Result 10.
func (s *Server) applyRoutes(ctx context.Context, items []*submitItem) []*submitItem {
	refused := false
	for _, it := range items {
		r, why := s.route(ctx, it)
		if r == resultOK {
			continue
		}
		refused = true
		it.result = r
		ev := it.log.Info()
		if r == resultBusy {
			ev = it.log.Warn()
		}
		ev.Uint32("result", r).Str("reason", why).Msg("SUBMIT refused")
	}
	if !refused {
		return items
	}
	return surviving(items)
}

// route sets it's channel (and RecipientChannels) from the Router, and
// returns the Result (resultOK when it can be stored) with the reason of
// a refusal.
func (s *Server) route(ctx context.Context, it *submitItem) (uint32, string) {
	chans, err := s.deps.Router.RouteIn(ctx, it.snap, it.t, it.req.Recipients, "")
	var nr *routing.NoRouteError
	switch {
	case errors.As(err, &nr):
		return resultDest, nr.Error()
	case err != nil:
		return resultBusy, err.Error()
	}
	it.req.Channel = chans[0]
	for _, ch := range chans[1:] {
		if ch != chans[0] {
			// The one place of this restriction in the CMPP path: delete
			// it when the store takes requests in parts (set
			// it.req.RecipientChannels = chans instead).
			return resultDest, "destinations routed to different channels by carrier, which one SUBMIT cannot carry yet"
		}
	}
	ch, ok := it.snap.Channel(it.req.Channel)
	if !ok || ch.Deleted() {
		return resultNoAccess, "the channel routed to is not usable"
	}
	if len(ch.SrcID)+len(it.req.SrcExt) > maxSrcIDLen {
		return resultSrcID, "Src_Id too long on the channel routed to"
	}
	return resultOK, ""
}
