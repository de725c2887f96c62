package sender

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/store"
)

// BenchmarkChannelPaced sends single-recipient messages queued at a steady
// 2,000 a second through 4 links at window 16 to the simulator, which
// reports each after 10 ms, and waits until every report is stored. It
// reports the channel's Redis round trips per message (commands and
// pipelines, the enqueueing excluded) and the items per Submitted and
// Reports call: deterministic measures of the batching, where µs depend on
// the machine.
//
// On a busy machine the channel may not keep up with 2,000 a second (see
// msgs/s): batches then grow by themselves. The rate=300 case shows the
// batching of a channel that keeps up.
func BenchmarkChannelPaced(b *testing.B) {
	for _, rate := range []int{300, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) { benchChannelPaced(b, rate) })
	}
}

func benchChannelPaced(b *testing.B, rate int) {
	var trips atomic.Int64
	var records, recorded, reportCalls, reported atomic.Int64
	r := newRigWith(b, rigOptions{
		sim: ismgsim.Config{MaxReceived: -1},
		settings: func(s *Settings) {
			s.Links, s.Link.Window = 4, 16
			s.Link.ResponseTimeout = 10 * time.Second
		},
		client: func(c redis.UniversalClient) { c.AddHook(tripCounter{&trips}) },
		channel: func(c *Channel) {
			rec, rep := c.acks.flush, c.reports.flush
			c.acks.flush = func(ctx context.Context, items []outcome) ([]struct{}, error) {
				records.Add(1)
				recorded.Add(int64(len(items)))
				return rec(ctx, items)
			}
			c.reports.flush = func(ctx context.Context, items []store.ReportIn) ([]store.ReportOutcome, error) {
				reportCalls.Add(1)
				out, err := rep(ctx, items)
				if err == nil {
					reported.Add(int64(len(items)))
				}
				return out, err
			}
		},
	})
	ctx := context.WithValue(context.Background(), enqueueing{}, true) // not the channel's round trips
	b.ResetTimer()
	start := time.Now()
	before := trips.Load()
	enq := 0
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for enq < b.N {
		due := min(b.N, int(time.Since(start).Seconds()*float64(rate))+1)
		var reqs []store.NewRequest
		for ; enq < due; enq++ {
			reqs = append(reqs, store.NewRequest{ID: fmt.Sprintf("bench-%d", enq), Tenant: "t", Channel: "default",
				MsgFmt: 8, Recipients: []string{"13800138000"}, Segments: []store.Segment{{Content: []byte{0, 'h', 0, 'i'}}}})
		}
		if len(reqs) > 0 {
			for i, err := range r.st.CreateRequests(ctx, reqs) {
				if err != nil {
					b.Fatalf("enqueue %s: %v", reqs[i].ID, err)
				}
			}
			r.hub.JobsQueued("default")
		}
		<-tick.C
	}
	deadline := time.Now().Add(time.Minute)
	for reported.Load() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d reports stored after a minute", reported.Load(), b.N)
		}
		<-tick.C
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(trips.Load()-before)/float64(b.N), "rtt/msg")
	b.ReportMetric(float64(recorded.Load())/float64(max(records.Load(), 1)), "outcomes/call")
	b.ReportMetric(float64(reported.Load())/float64(max(reportCalls.Load(), 1)), "reports/call")
}

// enqueueing marks the context of the benchmark's own store calls, which
// tripCounter does not count.
type enqueueing struct{}

// tripCounter is a go-redis hook counting round trips (one per command
// sent alone, one per pipeline) except the enqueueing ones.
type tripCounter struct{ n *atomic.Int64 }

func (c tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if ctx.Value(enqueueing{}) == nil {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(enqueueing{}) == nil {
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}
