package cmppserver

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// BenchmarkSubmitWindow16 is one customer link at window 16 through the
// server: each SUBMIT stored in Redis before its SUBMIT_RESP.
func BenchmarkSubmitWindow16(b *testing.B) {
	for _, fd := range []time.Duration{-1, 0} {
		b.Run("flush_delay="+fd.String(), func(b *testing.B) { benchSubmit(b, fd) })
	}
}

func benchSubmit(b *testing.B, flushDelay time.Duration) {
	env := testenv.Redis(b)
	ts := startServer(b, env, Config{}, "r1", testTenant())
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
}
