package sender

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatcherLingerJoinsItems: items that arrive one by one within the
// linger share one flush, and a full batch is flushed without waiting for
// the linger to end.
func TestBatcherLingerJoinsItems(t *testing.T) {
	const n = 8
	var flushes atomic.Int32
	b := newBatcher(n, time.Hour, func(_ context.Context, items []int) ([]int, error) {
		flushes.Add(1)
		out := make([]int, len(items))
		for i, v := range items {
			out[i] = 2 * v
		}
		return out, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var run sync.WaitGroup
	run.Go(func() { b.run(ctx) })
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := b.do(context.Background(), i)
			if err != nil || r != 2*i {
				t.Errorf("do(%d) = %d, %v; want %d", i, r, err, 2*i)
			}
		})
	}
	wg.Wait() // an hour's linger: returns only because the batch filled
	if f := flushes.Load(); f != 1 {
		t.Fatalf("%d flushes for %d items within the linger, want 1", f, n)
	}
	cancel()
	run.Wait()
}

// TestBatcherLingerEndsWithCtx: a batch held for more items is flushed
// when the batcher's ctx ends; its caller is answered, not abandoned.
func TestBatcherLingerEndsWithCtx(t *testing.T) {
	b := newBatcher(8, time.Hour, func(_ context.Context, items []int) ([]int, error) {
		return items, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	var run sync.WaitGroup
	run.Go(func() { b.run(ctx) })
	done := make(chan batchResult[int], 1)
	b.in <- batchItem[int, int]{v: 7, done: done}
	// Wait (with a deadline) until the batcher has taken the item: it is
	// then holding it for more.
	deadline := time.Now().Add(10 * time.Second)
	for len(b.in) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the batcher never took the item")
		}
		runtime.Gosched()
	}
	cancel()
	if r := <-done; r.err != nil || r.r != 7 {
		t.Fatalf("result %d, %v; want the flush's 7", r.r, r.err)
	}
	run.Wait()
}
