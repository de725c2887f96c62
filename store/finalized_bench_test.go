package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// BenchmarkFinalized is the cost of shortening the request index of
// requests that became final (one EXPIRE pipeline per Reports, Submitted
// or Lease call that finalised some): batch = requests finalised by one
// call (one-recipient requests: one per report). segments/s and the
// per-segment metrics count finalised requests.
func BenchmarkFinalized(b *testing.B) {
	for _, batch := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			st, _ := benchStore(b)
			ctx := context.Background()
			ids := make([]string, b.N*batch)
			for i := range ids {
				ids[i] = fmt.Sprintf("f%d", i)
			}
			for k := 0; k < len(ids); k += 1000 {
				_, err := st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
					for _, id := range ids[k:min(k+1000, len(ids))] {
						p.Set(ctx, st.keys.RequestIndex(id), "bf", st.opts.IndexTTL)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			timed(b, st, len(ids), func() {
				for k := 0; k < len(ids); k += batch {
					if err := st.finalized(ctx, ids[k:k+batch]); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
