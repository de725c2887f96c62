package cmpp

import "testing"

// The wait queue keeps arrival order through pops, removals and the
// compaction that stops a busy queue from growing.
func TestWaitQueueOrder(t *testing.T) {
	var q waitQueue
	ps := make([]*pending, 100)
	for i := range ps {
		ps[i] = &pending{seq: uint32(i)}
	}
	want := []*pending{}
	next := 0
	for round := range 40 { // steady state: push two, pop one or two
		q.push(ps[next])
		q.push(ps[next+1])
		want = append(want, ps[next], ps[next+1])
		next += 2
		n := 1 + round%2
		for range n {
			if got := q.pop(); got != want[0] {
				t.Fatalf("round %d: pop seq %d, want %d", round, got.seq, want[0].seq)
			}
			want = want[1:]
		}
		if q.len() != len(want) {
			t.Fatalf("round %d: len %d, want %d", round, q.len(), len(want))
		}
	}
	if cap(q.items) > 64 {
		t.Fatalf("queue of %d grew to cap %d", q.len(), cap(q.items))
	}
	if !q.remove(want[3]) || q.remove(ps[0]) {
		t.Fatal("remove: wrong report")
	}
	want = append(want[:3], want[4:]...)
	got := q.drain()
	if len(got) != len(want) || q.len() != 0 {
		t.Fatalf("drain %d items (len after %d), want %d", len(got), q.len(), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("drain[%d] seq %d, want %d", i, got[i].seq, want[i].seq)
		}
	}
	q.push(ps[99])
	if q.pop() != ps[99] || q.len() != 0 {
		t.Fatal("queue unusable after drain")
	}
}
