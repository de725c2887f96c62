package store

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSharedLinkSlots: the cluster limit holds under concurrent takers;
// a joining replica lowers the others' share (they give back, it takes);
// a replica that stops renewing loses its slots and liveness after one
// lease; more replicas than max: the first max get one each.
func TestSharedLinkSlots(t *testing.T) {
	backends(t, func(f *fixture) {
		const lease = 15 * time.Second
		share := func(owner string, max int) SlotShare {
			return SlotShare{Scope: "ch:cm1", Owner: owner, Max: max, Want: 4, Lease: lease}
		}
		a, b, c := share("a", 4), share("b", 4), share("c", 4)
		take := func(sh SlotShare, i int) (bool, int) {
			t.Helper()
			ok, n, err := f.st.TakeSharedSlot(f.ctx, sh, i)
			if err != nil {
				t.Fatal(err)
			}
			return ok, n
		}
		held := func() []string {
			ids, err := f.env.Client.ZRange(f.ctx, f.st.keys.LinkSlots("ch:cm1"), 0, -1).Result()
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(ids)
			return ids
		}

		// Three replicas race for 12 links: never more than 4 slots.
		var wg sync.WaitGroup
		for _, sh := range []SlotShare{a, b, c} {
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, _, err := f.st.TakeSharedSlot(f.ctx, sh, i); err != nil {
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
		if n := len(held()); n != 4 {
			t.Fatalf("%d slots held after the race, want 4: %v", n, held())
		}
		if err := f.st.LeaveSharedSlots(f.ctx, a, []int{0, 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if err := f.st.LeaveSharedSlots(f.ctx, b, []int{0, 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if err := f.st.LeaveSharedSlots(f.ctx, c, []int{0, 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if n := len(held()); n != 0 {
			t.Fatalf("slots left after leaving: %v", held())
		}

		// Alone, a takes all 4 and no more.
		for i := range 4 {
			if ok, n := take(a, i); !ok || n != 4 {
				t.Fatalf("a take %d = %v share %d, want true 4", i, ok, n)
			}
		}
		if ok, _ := take(share("a", 4), 4); ok {
			t.Fatal("a took a 5th slot")
		}
		// b joins: refused (all held), its share is 2; a's renewal says 2.
		if ok, n := take(b, 0); ok || n != 2 {
			t.Fatalf("b take = %v share %d, want false 2", ok, n)
		}
		n, lost, err := f.st.RenewSharedSlots(f.ctx, a, []int{0, 1, 2, 3})
		if err != nil || n != 2 || len(lost) != 0 {
			t.Fatalf("a renew = share %d lost %v %v, want 2 none", n, lost, err)
		}
		// a gives back its highest two; b takes 2, not 3.
		for _, i := range []int{3, 2} {
			if err := f.st.ReleaseLinkSlot(f.ctx, "ch:cm1", a.LinkID(i)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 2 {
			if ok, _ := take(b, i); !ok {
				t.Fatalf("b refused slot %d after a gave back", i)
			}
		}
		if ok, _ := take(b, 2); ok {
			t.Fatal("b took more than its share")
		}
		want := []string{"a/0", "a/1", "b/0", "b/1"}
		if got := held(); !slices.Equal(got, want) {
			t.Fatalf("held %v, want %v", got, want)
		}

		// a stops renewing (crash): after a lease its slots and liveness
		// are gone, b's share is 4 and it takes them; a's late renewal
		// reports both lost.
		f.clock.Advance(lease / 2)
		if _, lost, err := f.st.RenewSharedSlots(f.ctx, b, []int{0, 1}); err != nil || len(lost) != 0 {
			t.Fatalf("b renew lost %v %v", lost, err)
		}
		f.clock.Advance(lease/2 + time.Millisecond)
		for i := 2; i < 4; i++ {
			if ok, n := take(b, i); !ok || n != 4 {
				t.Fatalf("b take %d after a expired = %v share %d, want true 4", i, ok, n)
			}
		}
		if _, lost, err := f.st.RenewSharedSlots(f.ctx, a, []int{0, 1}); err != nil || !slices.Equal(lost, []int{0, 1}) {
			t.Fatalf("a late renew lost %v %v, want [0 1]", lost, err)
		}
		if got := len(held()); got != 4 {
			t.Fatalf("%d slots held, want 4", got)
		}
		if err := f.st.LeaveSharedSlots(f.ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if err := f.st.LeaveSharedSlots(f.ctx, b, []int{0, 1, 2, 3}); err != nil {
			t.Fatal(err)
		}

		// More live replicas than max: the first max (by owner id) get one.
		var got []int
		for _, o := range []string{"r1", "r2", "r3"} {
			_, n := take(share(o, 2), 0)
			got = append(got, n)
		}
		// r1 registered alone first (share 2), then r2 (1), then r3 (0).
		if !slices.Equal(got, []int{2, 1, 0}) {
			t.Fatalf("shares as they joined %v, want [2 1 0]", got)
		}
		for i, o := range []string{"r1", "r2", "r3"} {
			n, _, err := f.st.RenewSharedSlots(f.ctx, share(o, 2), nil)
			if want := []int{1, 1, 0}[i]; err != nil || n != want {
				t.Fatalf("%s share %d %v, want %d", o, n, err, want)
			}
		}
		for _, o := range []string{"r1", "r2", "r3"} {
			if err := f.st.LeaveSharedSlots(f.ctx, share(o, 2), []int{0}); err != nil {
				t.Fatal(err)
			}
		}
		if k := f.st.keys.LinkReplicas("ch:cm1"); f.env.Client.Exists(f.ctx, k).Val() != 0 {
			t.Fatalf("%s left behind", k)
		}
	})
}
