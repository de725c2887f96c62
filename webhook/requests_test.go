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
