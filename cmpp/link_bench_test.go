package cmpp_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
)

// BenchmarkLinkSubmit measures SUBMIT round trips through one link with
// window 16 against the in-process simulator over loopback TCP: 64
// goroutines submit, no status reports, the simulator's record of received
// segments is off. It reports submits/s and frames per socket write.
func BenchmarkLinkSubmit(b *testing.B) {
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		b.Run("V"+v.String(), func(b *testing.B) { benchmarkLinkSubmit(b, v) })
	}
}

func benchmarkLinkSubmit(b *testing.B, v cmpp.Version) {
	const workers = 64
	srv := newSim(b, ismgsim.Config{MaxReceived: -1}, ismgsim.Account{})
	l, err := cmpp.Dial(context.Background(), cmpp.LinkConfig{
		Addr: srv.Addr(), SPID: simSPID, Secret: simSecret, Version: v, Window: 16,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	var next atomic.Int64
	var failOnce sync.Once
	var failErr error
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := simSubmit("13800138000", false)
			for next.Add(1) <= int64(b.N) {
				if _, err := l.Submit(context.Background(), s); err != nil {
					failOnce.Do(func() { failErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failErr != nil {
		b.Fatal(failErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submits/s")
	st := l.Stats()
	b.ReportMetric(float64(st.FramesWritten)/float64(max(st.Flushes, 1)), "frames/write")
	b.ReportMetric(float64(st.DeadlineSets)/float64(max(st.Flushes, 1)), "deadlines/write")
}
