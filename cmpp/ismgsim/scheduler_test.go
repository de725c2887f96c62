package ismgsim

import (
	"context"
	"sync"
	"testing"
	"time"
)

type recordTask struct {
	mu    *sync.Mutex
	order *[]int
	n     int
	done  chan struct{}
}

func (r recordTask) fire(time.Time) {
	r.mu.Lock()
	*r.order = append(*r.order, r.n)
	full := len(*r.order) == cap(*r.order)
	r.mu.Unlock()
	if full {
		close(r.done)
	}
}

func TestSchedulerOrder(t *testing.T) {
	s := newScheduler()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.run(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	var mu sync.Mutex
	order := make([]int, 0, 6)
	done := make(chan struct{})
	base := time.Now().Add(30 * time.Millisecond)
	// Scheduled out of order; same-time tasks keep insertion order.
	for _, e := range []struct {
		n  int
		at time.Duration
	}{{3, 20}, {1, 0}, {4, 20}, {0, -10}, {5, 40}, {2, 10}} {
		s.at(base.Add(e.at*time.Millisecond), recordTask{&mu, &order, e.n, done})
	}
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("tasks did not fire")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, n := range order {
		if n != i {
			t.Fatalf("fired in order %v", order)
		}
	}
	if s.len() != 0 {
		t.Fatalf("%d tasks left", s.len())
	}
}
