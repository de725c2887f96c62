package sender

import (
	"context"
	"time"
)

// batcher turns many single calls from concurrent goroutines into batch
// calls: one goroutine takes the first waiting item, drains whatever else
// is already queued (up to max), waits up to linger after the first item
// for more to join, and runs flush once for all of them. A full batch goes
// at once.
//
// Without linger a batch is only what queued during the previous flush:
// at a few thousand items a second, with a Redis round trip of ~100 µs,
// that is one or two items, each costing Redis a round trip (~15 µs of
// its CPU). A linger of a millisecond makes it a few items per round trip
// for at most that much added latency.
type batcher[T, R any] struct {
	in     chan batchItem[T, R]
	max    int
	linger time.Duration
	flush  func(ctx context.Context, items []T) ([]R, error)
}

type batchItem[T, R any] struct {
	v    T
	done chan batchResult[R]
}

type batchResult[R any] struct {
	r   R
	err error
}

// newBatcher returns a batcher of at most max items per flush, each batch
// held up to linger (0: not at all) for more items.
func newBatcher[T, R any](max int, linger time.Duration, flush func(ctx context.Context, items []T) ([]R, error)) *batcher[T, R] {
	return &batcher[T, R]{in: make(chan batchItem[T, R], max), max: max, linger: linger, flush: flush}
}

// do submits v and waits for its result. It returns ctx.Err() if ctx ends
// first (the item may still be flushed).
func (b *batcher[T, R]) do(ctx context.Context, v T) (R, error) {
	var zero R
	it := batchItem[T, R]{v: v, done: make(chan batchResult[R], 1)}
	select {
	case b.in <- it:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case res := <-it.done:
		return res.r, res.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// run serves batches until ctx is done. The owner starts it once.
func (b *batcher[T, R]) run(ctx context.Context) {
	items := make([]batchItem[T, R], 0, b.max)
	vals := make([]T, 0, b.max)
	hold := time.NewTimer(time.Hour)
	hold.Stop()
	defer hold.Stop()
	for {
		items, vals = items[:0], vals[:0]
		select {
		case it := <-b.in:
			items = append(items, it)
		case <-ctx.Done():
			return
		}
	drain:
		for len(items) < b.max {
			select {
			case it := <-b.in:
				items = append(items, it)
			default:
				break drain
			}
		}
		if len(items) < b.max && b.linger > 0 {
			hold.Reset(b.linger)
		linger:
			for len(items) < b.max {
				select {
				case it := <-b.in:
					items = append(items, it)
				case <-hold.C:
					break linger
				case <-ctx.Done():
					break linger // flush what was taken: its callers wait
				}
			}
			hold.Stop()
		}
		for _, it := range items {
			vals = append(vals, it.v)
		}
		res, err := b.flush(ctx, vals)
		for i, it := range items {
			var r batchResult[R]
			r.err = err
			if err == nil && i < len(res) {
				r.r = res[i]
			}
			it.done <- r
		}
	}
}
