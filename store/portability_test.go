package store

import (
	"fmt"
	"testing"
)

// Moved numbers round-trip on every backend (the cluster proves the
// per-shard pipeline works across slots): a later entry wins, unknown
// numbers read "", delete reports whether an entry existed, and count sums
// every shard.
func TestPortabilityStore(t *testing.T) {
	backends(t, func(f *fixture) {
		var entries []PortabilityEntry
		for i := range 600 { // spreads over every shard
			entries = append(entries, PortabilityEntry{Number: fmt.Sprintf("138%08d", i*7919), Carrier: "cucc"})
		}
		entries = append(entries, PortabilityEntry{Number: "13800000000", Carrier: "ctcc"}) // same number as i=0: later wins
		if err := f.st.PortabilitySet(f.ctx, entries); err != nil {
			f.t.Fatal(err)
		}
		got, err := f.st.PortabilityGet(f.ctx, []string{"13800000000", fmt.Sprintf("138%08d", 5*7919), "13999999999", "13800000000"})
		if err != nil {
			f.t.Fatal(err)
		}
		if want := []string{"ctcc", "cucc", "", "ctcc"}; fmt.Sprint(got) != fmt.Sprint(want) {
			f.t.Fatalf("get: %q, want %q", got, want)
		}
		n, err := f.st.PortabilityCount(f.ctx)
		if err != nil || n != 600 {
			f.t.Fatalf("count %d (%v), want 600", n, err)
		}
		shards := map[string]bool{}
		for _, e := range entries {
			shards[f.st.Keys().Portability(e.Number)] = true
		}
		if len(shards) != PortabilityShards {
			f.t.Fatalf("600 numbers in %d shards, want all %d", len(shards), PortabilityShards)
		}
		for _, want := range []bool{true, false} {
			ok, err := f.st.PortabilityDelete(f.ctx, "13800000000")
			if err != nil || ok != want {
				f.t.Fatalf("delete: %v (%v), want %v", ok, err, want)
			}
		}
		if got, _ := f.st.PortabilityGet(f.ctx, []string{"13800000000"}); got[0] != "" {
			f.t.Fatalf("deleted number reads %q", got[0])
		}
		if got, err := f.st.PortabilityGet(f.ctx, nil); err != nil || len(got) != 0 {
			f.t.Fatalf("get of no numbers: %v %v", got, err)
		}
	})
}

func TestPortabilityKey(t *testing.T) {
	k := Keys{Prefix: "sb"}
	for number, want := range map[string]string{
		"13800000000": "sb:port:{00}", "13800000255": "sb:port:{ff}", "13800000256": "sb:port:{00}", "13800000017": "sb:port:{11}",
	} {
		if got := k.Portability(number); got != want {
			t.Errorf("Portability(%s) = %s, want %s", number, got, want)
		}
	}
}
