package cmppserver

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
)

// BenchmarkSubmitWindow16 is one customer link at window 16 through the
// server: each SUBMIT stored in Redis before its SUBMIT_RESP. It reports
// the Redis round trips (commands and pipelines sent, the server's
// background loops included) and script calls per SUBMIT: deterministic
// where submits/s depends on the machine. "limits" gives the tenant an
// account rate, a tenant rate and a daily quota, all high enough to
// refuse nothing, so every limit step makes its store calls.
func BenchmarkSubmitWindow16(b *testing.B) {
	for _, fd := range []time.Duration{-1, 0} {
		b.Run("flush_delay="+fd.String(), func(b *testing.B) { benchSubmit(b, fd, testTenant()) })
	}
	b.Run("limits", func(b *testing.B) {
		tn := testTenant()
		tn.CMPP.MaxSubmitsPerSec = 1_000_000
		tn.Limits = registry.Limits{MaxRequestsPerSec: 1_000_000, MaxSegmentsPerDay: 1_000_000_000}
		benchSubmit(b, 0, tn)
	})
}

func benchSubmit(b *testing.B, flushDelay time.Duration, tn registry.Tenant) {
	env := testenv.Redis(b)
	var rt roundTrips
	env.Client.AddHook(&rt)
	ts := startServer(b, env, Config{}, "r1", tn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := cmpp.Dial(ctx, cmpp.LinkConfig{Addr: ts.srv.Addr().String(), SPID: "910001", Secret: "demo-cmpp",
		Window: 16, FlushDelay: flushDelay})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = l.Close(context.Background()) }()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	trips, pipes, scripts := rt.trips.Load(), rt.pipelines.Load(), rt.scripts.Load()
	start := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := l.Submit(context.Background(), ucs2Submit("13800138000")); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
	b.ReportMetric(float64(rt.trips.Load()-trips)/float64(b.N), "rtt/submit")
	b.ReportMetric(float64(rt.scripts.Load()-scripts)/float64(b.N), "scripts/submit")
	// Each commit stores its batch with one pipeline: round trips per
	// commit do not depend on how full the machine lets batches get.
	if p := rt.pipelines.Load() - pipes; p > 0 {
		b.ReportMetric(float64(rt.trips.Load()-trips)/float64(p), "rtt/commit")
		b.ReportMetric(float64(b.N)/float64(p), "submits/commit")
	}
}

// roundTrips is a go-redis hook counting round trips to Redis (one per
// command sent alone, one per pipeline), pipelines and script calls.
type roundTrips struct{ trips, pipelines, scripts atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.trips.Add(1)
		r.count(cmd)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.trips.Add(1)
		r.pipelines.Add(1)
		for _, c := range cmds {
			r.count(c)
		}
		return next(ctx, cmds)
	}
}

func (r *roundTrips) count(cmd redis.Cmder) {
	if n := strings.ToLower(cmd.Name()); n == "evalsha" || n == "eval" {
		r.scripts.Add(1)
	}
}
