package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/internal/msisdn"
	"github.com/smsbridge/smsbridge/internal/routing"
)

// route picks the channel of each recipient of v (the tenant's routes by
// carrier, or the named channel, see routing.Router), then checks "ext"
// on every channel used. It runs after every other check of the body:
// the carrier lookup may cost a Redis read. False when it answered.
func (s *Server) route(c *gin.Context, a *authed, req *SendRequest, v *validated) bool {
	chans, err := s.router.RouteIn(c.Request.Context(), a.snap, a.tenant, v.to, v.named)
	var nr *routing.NoRouteError
	switch {
	case errors.As(err, &nr):
		abort(c, noRouteError(req.To, nr))
		return false
	case err != nil:
		abortInternal(c, err)
		return false
	}
	v.channels, v.channel = chans, chans[0]
	done := ""
	for _, name := range chans {
		if name == done {
			continue
		}
		done = name
		ch, ok := a.snap.Channel(name)
		if ok && len(ch.SrcID)+len(req.Ext) > MaxSrcIDLen {
			abort(c, errorf(http.StatusUnprocessableEntity, CodeInvalidExt,
				fmt.Sprintf(`"ext" may have at most %d digits on channel %q (Src_Id is at most %d)`, MaxSrcIDLen-len(ch.SrcID), name, MaxSrcIDLen)))
			return false
		}
	}
	return true
}

// noRouteError is the 422 no_route answer for nr, its index mapped back
// to the body's "to" (before de-duplication).
func noRouteError(to []string, nr *routing.NoRouteError) *apiError {
	idx := inputIndex(to, nr.Index)
	carrier := nr.Carrier
	name := carrier
	if name == "" {
		name = "unknown"
	}
	msg := fmt.Sprintf("to[%d]: no channel of the tenant reaches its carrier (%s)", idx, name)
	if nr.Channel != "" {
		msg = fmt.Sprintf("to[%d]: channel %q does not reach its carrier (%s)", idx, nr.Channel, name)
	}
	e := errorf(http.StatusUnprocessableEntity, CodeNoRoute, msg)
	e.index, e.carrier = &idx, &carrier
	return e
}

// inputIndex returns the index in to of the k-th distinct number (as
// normalizeNumbers keeps them).
func inputIndex(to []string, k int) int {
	seen := make(map[string]struct{}, k+1)
	for i, raw := range to {
		n, _ := msisdn.Normalize(raw)
		if _, dup := seen[n]; dup {
			continue
		}
		if len(seen) == k {
			return i
		}
		seen[n] = struct{}{}
	}
	return k
}

// recipientChannels is NewRequest.RecipientChannels for v: nil when every
// recipient is on v.channel.
func recipientChannels(v *validated) []string {
	for _, ch := range v.channels {
		if ch != v.channel {
			return v.channels
		}
	}
	return nil
}

// forChannels calls f once per channel of v with its number of
// recipients.
func forChannels(v *validated, f func(channel string, recipients int)) {
	if recipientChannels(v) == nil {
		f(v.channel, len(v.to))
		return
	}
	n := map[string]int{}
	var order []string
	for _, ch := range v.channels {
		if n[ch] == 0 {
			order = append(order, ch)
		}
		n[ch]++
	}
	for _, ch := range order {
		f(ch, n[ch])
	}
}
