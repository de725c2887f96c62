package ismgsim

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// task is work the scheduler runs at a given time: a status report becoming
// due, a delayed SUBMIT_RESP. fire runs on the scheduler goroutine and must
// not block.
type task interface {
	fire(now time.Time)
}

// timedTask is one heap entry. seq keeps tasks due at the same instant in
// insertion order.
type timedTask struct {
	at  int64 // UnixNano
	seq uint64
	t   task
}

func (a timedTask) before(b timedTask) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// schedTick is the scheduler's timer resolution: it sleeps until the next
// multiple of schedTick at or after the earliest deadline, so that the
// tasks due within one tick (at 6,000 reports/s, six of them) share one
// wakeup and their DELIVERs one write per link, instead of one timer
// wakeup each. A task fires at most schedTick late, in deadline order.
const schedTick = time.Millisecond

// scheduler is one goroutine per Server running tasks from a min-heap, so
// that delayed work never needs a goroutine or a timer of its own.
type scheduler struct {
	mu      sync.Mutex
	heap    []timedTask
	seq     uint64
	wake    chan struct{} // capacity 1: "the earliest deadline changed"
	wakeups atomic.Int64  // rounds that fired at least one task (benchmarks report it per task)
}

func newScheduler() *scheduler {
	return &scheduler{wake: make(chan struct{}, 1)}
}

// at schedules t to fire at time when (or as soon as possible if it has passed).
func (s *scheduler) at(when time.Time, t task) {
	e := timedTask{at: when.UnixNano(), t: t}
	s.mu.Lock()
	s.seq++
	e.seq = s.seq
	s.heap = append(s.heap, e)
	i := s.up(len(s.heap) - 1)
	s.mu.Unlock()
	if i == 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// len returns the number of tasks waiting.
func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.heap)
}

// up restores the heap after an append at i; it returns the final index.
func (s *scheduler) up(i int) int {
	h := s.heap
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return i
}

// pop removes and returns the earliest task. The heap must not be empty.
func (s *scheduler) pop() timedTask {
	h := s.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = timedTask{}
	h = h[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.heap = h
	return top
}

// run fires due tasks until ctx is done. Tasks still waiting are dropped.
func (s *scheduler) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var batch []task
	for {
		now := time.Now()
		nowNano := now.UnixNano()
		s.mu.Lock()
		for len(s.heap) > 0 && s.heap[0].at <= nowNano && len(batch) < 1024 {
			batch = append(batch, s.pop().t)
		}
		next := int64(-1)
		if len(s.heap) > 0 {
			next = s.heap[0].at
		}
		s.mu.Unlock()
		if len(batch) > 0 {
			s.wakeups.Add(1)
			for i, t := range batch {
				t.fire(now)
				batch[i] = nil
			}
			batch = batch[:0]
			if ctx.Err() != nil {
				return
			}
			continue
		}
		if next >= 0 {
			wakeAt := (next + int64(schedTick) - 1) / int64(schedTick) * int64(schedTick)
			timer.Reset(time.Duration(wakeAt - nowNano))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}
