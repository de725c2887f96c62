package webhook

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

func TestRequestCache(t *testing.T) {
	now := time.Now()
	req := func(id string, statuses ...store.RecipientStatus) *store.Request {
		r := &store.Request{ID: id}
		for i, st := range statuses {
			r.Recipients = append(r.Recipients, store.Recipient{Index: i + 1, Status: st})
		}
		return r
	}
	var c requestCache
	c.put(req("a", store.RecipientDelivered, store.RecipientSubmitted), now)
	if c.get("a", 1, now) == nil {
		t.Error("final recipient not served from cache")
	}
	if c.get("a", 2, now) != nil {
		t.Error("cached state served for a recipient that was not final in it")
	}
	if c.get("a", 3, now) != nil || c.get("a", 0, now) != nil || c.get("b", 1, now) != nil {
		t.Error("out of range or unknown request served")
	}
	if c.get("a", 1, now.Add(requestCacheTTL+time.Millisecond)) != nil {
		t.Error("expired entry served")
	}
	for i := range requestCacheMax + 3 {
		c.put(req(string(rune('c'+i)), store.RecipientFailed), now)
		if len(c.m) > requestCacheMax {
			t.Fatalf("cache holds %d entries, max %d", len(c.m), requestCacheMax)
		}
	}
	c.put(req("z", store.RecipientFailed), now.Add(requestCacheTTL+time.Millisecond))
	if len(c.m) != 1 {
		t.Errorf("expired entries kept: %d", len(c.m))
	}
}

// loadRequests reads the requests of a batch concurrently, once per
// request, and gives every status event created without its segment
// states (before they were recorded; simulated by clearing them) the
// state of its own request; a request that is gone gives an empty state,
// and MO events and events with their segment states none.
func TestLoadRequestsBatch(t *testing.T) {
	f := newFixture(t, store.Options{})
	d := New(f.fastConfig(tenants("")))
	d.runCtx = f.ctx
	var ids []string
	for range 2*requestReadConcurrency + 3 {
		id, _ := f.seedStatus("acme", "http://hooks.invalid/status", 2, 1, delivrd)
		ids = append(ids, id)
	}
	f.seedMO("1069001", "hi", "")
	evs, err := f.st.LeaseEvents(f.ctx, testChannel, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2*len(ids) + 1; len(evs) != want {
		t.Fatalf("leased %d events, want %d", len(evs), want)
	}
	withSegs := 0
	for i := range evs {
		if evs[i].Type == store.EventStatus && len(evs[i].Segments) != 1 {
			t.Fatalf("event %s: segments %+v, want 1", evs[i].ID, evs[i].Segments)
		}
		if i%5 != 0 {
			evs[i].Segments = nil
		} else if evs[i].Type == store.EventStatus {
			withSegs++
		}
	}
	if withSegs == 0 {
		t.Fatal("no event kept its segments")
	}
	evs = append(evs, store.Event{ID: "x", Type: store.EventStatus, RequestID: "gone-request", Recipient: 1})
	var cache requestCache
	got := d.loadRequests(&cache, evs)
	for i, ev := range evs {
		rs, ok := got[i]
		switch {
		case ev.Type != store.EventStatus || ev.Segments != nil:
			if ok {
				t.Errorf("event %d (%s): state loaded for an event that needs none", i, ev.Type)
			}
		case ev.RequestID == "gone-request":
			if !ok || rs.req != nil || rs.err != nil {
				t.Errorf("gone request: state %+v, %v; want empty", rs, ok)
			}
		case !ok || rs.err != nil || rs.req == nil || rs.req.ID != ev.RequestID:
			t.Errorf("event %d of %s: state %+v, %v", i, ev.RequestID, rs, ok)
		}
	}
	if n := len(cache.m); n == 0 || n > requestCacheMax {
		t.Errorf("cache holds %d requests, want 1..%d", n, requestCacheMax)
	}
}
