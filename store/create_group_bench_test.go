package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkCreateParallel stores one-recipient, one-segment requests (as
// POST /sms does) from p×GOMAXPROCS goroutines (HTTP handlers storing at
// the same time; "p<p>"): each request by its own CreateRequest
// ("single"), or through a CreateGroup with 1, 2 or 4 commits in flight
// ("group<K>"). scripts/seg is the script calls per request (1 / requests
// per commit).
func BenchmarkCreateParallel(b *testing.B) {
	for _, p := range []int{2, 16} {
		b.Run(fmt.Sprintf("p%d/single", p), func(b *testing.B) {
			benchCreateParallel(b, p, func(st *Store) func(context.Context, NewRequest) error { return st.CreateRequest })
		})
		for _, k := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("p%d/group%d", p, k), func(b *testing.B) {
				benchCreateParallel(b, p, func(st *Store) func(context.Context, NewRequest) error {
					return NewCreateGroup(st, k).Create
				})
			})
		}
	}
}

// benchCreateParallel runs BenchmarkCreateParallel with the create
// function made for the store.
func benchCreateParallel(b *testing.B, p int, newCreate func(*Store) func(context.Context, NewRequest) error) {
	st, _ := benchStore(b)
	create := newCreate(st)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(p)
	timed(b, st, b.N, func() {
		b.RunParallel(func(pb *testing.PB) {
			req := NewRequest{Tenant: "t", Channel: "bc", CallbackURL: "http://cb", MsgFmt: 8,
				Recipients: []string{"13800138000"}, Segments: []Segment{{Content: make([]byte, 134), UDHI: true}}}
			for pb.Next() {
				req.ID = fmt.Sprintf("p%d", next.Add(1))
				if err := create(ctx, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
