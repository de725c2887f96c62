package webhook

import (
	"errors"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Bounds of requestCache: a big request (1000 recipients × 10 segments)
// decodes to a few MB, so only a handful are kept, briefly.
const (
	requestCacheTTL = 2 * time.Second
	requestCacheMax = 8
)

// requestCache keeps the request states one lease loop read recently: the
// sms.status events of a request are created together (its reports come
// together) and leased over several batches, and rendering each needs the
// request's segment details. A cached state serves an event only when the
// event's recipient is final in it (final segments never change again).
// It is owned by one lease loop: no locking.
type requestCache struct {
	m map[string]cachedRequest
}

type cachedRequest struct {
	req *store.Request
	at  time.Time
}

// get returns the cached state of request id if recipient r is final in
// it.
func (c *requestCache) get(id string, r int, now time.Time) *store.Request {
	e, ok := c.m[id]
	if !ok || now.Sub(e.at) > requestCacheTTL || r < 1 || r > len(e.req.Recipients) ||
		!e.req.Recipients[r-1].Status.Final() {
		return nil
	}
	return e.req
}

// put caches req, dropping expired entries (all of them when full).
func (c *requestCache) put(req *store.Request, now time.Time) {
	if c.m == nil {
		c.m = make(map[string]cachedRequest, requestCacheMax)
	}
	for id, e := range c.m {
		if now.Sub(e.at) > requestCacheTTL {
			delete(c.m, id)
		}
	}
	if len(c.m) >= requestCacheMax {
		clear(c.m)
	}
	c.m[req.ID] = cachedRequest{req: req, at: now}
}

// requestState is the result of loading a request for rendering.
type requestState struct {
	req *store.Request // nil when the request is gone
	err error          // a store failure (not ErrNotFound)
}

// loadRequests returns, per sms.status event of evs still needing a body
// (by index), the state of its request: from the cache, else read once
// per request and batch.
func (d *Dispatcher) loadRequests(cache *requestCache, evs []store.Event) map[int]requestState {
	var out map[int]requestState
	now := time.Now()
	for i := range evs {
		ev := &evs[i]
		if ev.Body != nil || ev.Type != store.EventStatus || ev.RequestID == "" {
			continue
		}
		if out == nil {
			out = make(map[int]requestState)
		}
		if req := cache.get(ev.RequestID, ev.Recipient, now); req != nil {
			out[i] = requestState{req: req}
			continue
		}
		ctx, cancel := d.storeCtx()
		req, err := d.cfg.Store.GetRequest(ctx, ev.RequestID)
		cancel()
		switch {
		case errors.Is(err, store.ErrNotFound):
			out[i] = requestState{}
		case err != nil:
			out[i] = requestState{err: err}
		default:
			cache.put(req, now)
			out[i] = requestState{req: req}
		}
	}
	return out
}
