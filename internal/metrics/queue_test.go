package metrics

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// The queue depth series follow the channel list at each scrape: a
// channel added shows up, one no longer listed disappears.
func TestQueueDepthFollowsTheChannelList(t *testing.T) {
	m := New()
	var mu sync.Mutex
	list := []string{"a", "b"}
	m.RegisterQueueDepth(func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(list)
	}, func(_ context.Context, channel string) (map[string]int64, error) {
		return map[string]int64{"pending": int64(len(channel))}, nil
	})
	scrape := func() []string {
		t.Helper()
		mfs, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, mf := range mfs {
			if mf.GetName() != "smsbridge_queue_depth" {
				continue
			}
			for _, s := range mf.GetMetric() {
				for _, l := range s.GetLabel() {
					if l.GetName() == "channel" {
						got = append(got, l.GetValue())
					}
				}
			}
		}
		slices.Sort(got)
		return got
	}
	if got := scrape(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("channels %v, want [a b]", got)
	}
	mu.Lock()
	list = []string{"b", "cc"}
	mu.Unlock()
	if got := scrape(); !slices.Equal(got, []string{"b", "cc"}) {
		t.Fatalf("after the change: channels %v, want [b cc] (a removed)", got)
	}
}
