package wake

import "testing"

// The signals are on the hot path (every accepted request, every batch of
// reports): a signal costs a lookup and a non-blocking send.
func BenchmarkJobsQueued(b *testing.B) {
	h := New("a", "b", "c", "d")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.JobsQueued("c")
		}
	})
}

// BenchmarkJobsLookup is the consumer side: the leaser looks its signal
// up before every idle wait.
func BenchmarkJobsLookup(b *testing.B) {
	h := New("a", "b", "c", "d")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if h.Jobs("c") == nil {
				b.Fatal("no signal")
			}
		}
	})
}
