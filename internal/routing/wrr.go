package routing

import "sync"

// wrr is a smooth weighted round-robin (nginx's) over a group's members:
// over any run of calls with the same members up, each is picked in
// proportion to its weight, interleaved. One short lock per pick.
type wrr struct {
	mu      sync.Mutex
	weights []int
	current []int
}

func newWRR(weights []int) *wrr {
	return &wrr{weights: weights, current: make([]int, len(weights))}
}

// pick returns the index of the next member among those set in mask (bit
// i: member i), or -1 when mask is empty. Members left out keep their
// state.
func (w *wrr) pick(mask uint64) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	best, total := -1, 0
	for i, wt := range w.weights {
		if mask&(1<<i) == 0 {
			continue
		}
		w.current[i] += wt
		total += wt
		if best < 0 || w.current[i] > w.current[best] {
			best = i
		}
	}
	if best >= 0 {
		w.current[best] -= total
	}
	return best
}
