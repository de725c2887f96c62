package webhook

import (
	"context"
	"fmt"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// BenchmarkDispatch measures events/s from the Redis outbox to a local
// httptest receiver answering 200 at once: lease, render, save body, sign,
// POST, ack. One op is one event delivered and acked.
func BenchmarkDispatch(b *testing.B) {
	for _, perHost := range []int{8, 64} {
		b.Run(fmt.Sprintf("per_host=%d", perHost), func(b *testing.B) {
			f := newFixture(b, store.Options{})
			rc := newReceiver(b, nil)
			for range b.N {
				f.seedMO("1069001", "benchmark message", "")
			}
			cfg := f.fastConfig(tenants(rc.srv.URL))
			cfg.PerHostConcurrency, cfg.PollInterval = perHost, 5*time.Millisecond
			dispatchAll(b, cfg, TypeMO)
			b.ReportMetric(outcomes(b, cfg, TypeMO, outcomeDeferred)/float64(b.N), "deferrals/event")
		})
	}
}

// BenchmarkDispatchStatus is BenchmarkDispatch for sms.status events of
// requests with 100 recipients (rendering reads the request state once per
// request thanks to the lease loop's cache) and with 1 recipient (one read
// per event: the lease loop's reads of a batch are what is measured).
func BenchmarkDispatchStatus(b *testing.B) {
	for _, recipients := range []int{100, 1} {
		b.Run(fmt.Sprintf("recipients=%d", recipients), func(b *testing.B) {
			f := newFixture(b, store.Options{})
			rc := newReceiver(b, nil)
			for left := b.N; left > 0; left -= recipients {
				f.seedStatus("acme", rc.srv.URL, min(left, recipients), 2, delivrd)
			}
			cfg := f.fastConfig(tenants(""))
			cfg.PerHostConcurrency, cfg.PollInterval = 64, 5*time.Millisecond
			dispatchAll(b, cfg, TypeStatus)
			b.ReportMetric(float64(rc.conns.Load()), "conns")
		})
	}
}

// BenchmarkDispatchStatusBatch is BenchmarkDispatchStatus (100 recipients
// per request) for a tenant with BatchMax: the events of each lease go to
// the receiver as JSON arrays of up to max events. The lease size
// (Config.BatchSize) is raised to max so that full batches can form.
func BenchmarkDispatchStatusBatch(b *testing.B) {
	for _, batchMax := range []int{64} {
		b.Run(fmt.Sprintf("max=%d", batchMax), func(b *testing.B) {
			f := newFixture(b, store.Options{})
			rc := newReceiver(b, nil)
			for left := b.N; left > 0; left -= 100 {
				f.seedStatus("acme", rc.srv.URL, min(left, 100), 2, delivrd)
			}
			cfg := f.fastConfig(batchTenants("", batchMax))
			cfg.PerHostConcurrency, cfg.PollInterval, cfg.BatchSize = 64, 5*time.Millisecond, batchMax
			dispatchAll(b, cfg, TypeStatus)
			b.ReportMetric(float64(b.N)/float64(rc.count()), "events/POST")
		})
	}
}

// dispatchAll is the timed part of the benchmarks: it runs a dispatcher on
// cfg until b.N events of type typ are delivered, then reports events/s.
// The dispatcher's goroutines carry the pprof label side=dispatcher, so
// that a CPU profile of the benchmark can be narrowed to them (seeding
// the store and the receiver are in the same process):
//
//	go test -bench DispatchStatus -cpuprofile cpu.prof
//	go tool pprof -tagfocus side=dispatcher -top cpu.prof
func dispatchAll(b *testing.B, cfg Config, typ string) {
	b.ReportAllocs()
	b.ResetTimer()
	var r *running
	pprof.Do(context.Background(), pprof.Labels("side", "dispatcher"), func(context.Context) {
		r = start(b, cfg)
	})
	testenv.WaitFor(b, 5*time.Minute, "all delivered", func() bool {
		return outcomes(b, cfg, typ, outcomeDelivered) == float64(b.N)
	})
	b.StopTimer()
	r.stop(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
