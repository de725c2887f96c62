package webhook

import (
	"errors"
	"sync"
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

// requestReadConcurrency bounds the GetRequest calls of one batch in
// flight at a time: read one after the other on the lease loop, a batch of
// status events of many requests waited for as many round trips.
const requestReadConcurrency = 8

// loadRequests returns, per sms.status event of evs still needing a body
// and created without its segment states (before they were recorded in
// the event), by index, the state of its request: from the cache, else read once
// per request and batch, up to requestReadConcurrency reads at a time.
func (d *Dispatcher) loadRequests(cache *requestCache, evs []store.Event) map[int]requestState {
	var out map[int]requestState
	now := time.Now()
	toRead := map[string][]int{} // request id → indexes of evs
	var ids []string
	for i := range evs {
		ev := &evs[i]
		if ev.Body != nil || ev.Type != store.EventStatus || ev.RequestID == "" || ev.Segments != nil {
			continue // nothing to render, or rendered from the event alone
		}
		if out == nil {
			out = make(map[int]requestState)
		}
		if req := cache.get(ev.RequestID, ev.Recipient, now); req != nil {
			out[i] = requestState{req: req}
			continue
		}
		if _, ok := toRead[ev.RequestID]; !ok {
			ids = append(ids, ev.RequestID)
		}
		toRead[ev.RequestID] = append(toRead[ev.RequestID], i)
	}
	if len(ids) == 0 {
		return out
	}
	states := make([]requestState, len(ids))
	sem := make(chan struct{}, requestReadConcurrency)
	var wg sync.WaitGroup
	for k, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			states[k] = d.readRequest(id)
		})
	}
	wg.Wait()
	for k, id := range ids {
		if states[k].req != nil {
			cache.put(states[k].req, now)
		}
		for _, i := range toRead[id] {
			out[i] = states[k]
		}
	}
	return out
}

// readRequest reads one request from the store.
func (d *Dispatcher) readRequest(id string) requestState {
	ctx, cancel := d.storeCtx()
	defer cancel()
	req, err := d.cfg.Store.GetRequest(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return requestState{}
	case err != nil:
		return requestState{err: err}
	}
	return requestState{req: req}
}
