package cmppserver

import (
	"context"
	"errors"

	"github.com/smsbridge/smsbridge/internal/routing"
)

// applyRoutes picks the channel of each destination of every SUBMIT of a
// batch (the tenant's routes by carrier, see routing.Router) in the
// commit, off the links' read loops (a carrier lookup may cost a Redis
// read). Destinations routed to several channels make one request in
// parts. A destination no channel reaches gets Result 13; a failed lookup
// Result 100 (retry); a Src_Id too long on a channel routed to, Result 10.
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
	done := ""
	for _, name := range chans {
		if name != chans[0] {
			it.req.RecipientChannels = chans // destinations on several channels: parts
		}
		if name == done {
			continue
		}
		done = name
		ch, ok := it.snap.Channel(name)
		if !ok || ch.Deleted() {
			return resultNoAccess, "a channel routed to is not usable"
		}
		if len(ch.SrcID)+len(it.req.SrcExt) > maxSrcIDLen {
			return resultSrcID, "Src_Id too long on a channel routed to"
		}
	}
	return resultOK, ""
}
