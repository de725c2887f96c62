package sender

import (
	"context"
)

// batcher turns many single calls from concurrent goroutines into batch
// calls: one goroutine takes the first waiting item, drains whatever else
// is already queued (up to max) and runs flush once for all of them. Under
// light load a batch is one item and adds no delay; under heavy load
// batches grow and Redis round trips per item shrink.
type batcher[T, R any] struct {
	in    chan batchItem[T, R]
	max   int
	flush func(ctx context.Context, items []T) ([]R, error)
}

type batchItem[T, R any] struct {
	v    T
	done chan batchResult[R]
}

type batchResult[R any] struct {
	r   R
	err error
}

func newBatcher[T, R any](max int, flush func(ctx context.Context, items []T) ([]R, error)) *batcher[T, R] {
	return &batcher[T, R]{in: make(chan batchItem[T, R], max), max: max, flush: flush}
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
