package tests

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// A segment whose every worker dies — its lease expires again and again —
// ends as unknown with error code worker_lost once the gateway's
// maintainer has recovered it queue.max_recoveries times, and its
// sms.status webhook is POSTed.
//
// The gateway's own sender never takes the segment: its channel points at
// an ISMG that accepts TCP and never answers the CONNECT, so no link
// logs in. The test plays the worker that leases the segment and dies
// (a store whose leases last 1 ms and are never renewed).
func TestSegmentWhoseWorkersDieEndsWorkerLost(t *testing.T) {
	env := testenv.Redis(t)
	rc := newReceiver(t)
	silent := silentISMG(t)
	const maxRec = 2
	base := startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: silent, Callback: rc.URL(),
		LeaseTTL: "1s", MaxRecoveries: maxRec})
	c := api{t: t, base: base}
	acc := c.send([]string{"13800138000"}, "poison")

	dying := store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: time.Millisecond})
	ctx := context.Background()
	leases := 0
	testenv.WaitFor(t, 30*time.Second, "sms.status webhook", func() bool {
		jobs, err := dying.Lease(ctx, "default", "dying-worker", 10)
		if err != nil {
			t.Fatal(err)
		}
		leases += len(jobs)
		return len(rc.statusFor(acc.ID)) == 1
	})
	if leases != maxRec+1 {
		t.Fatalf("the segment was leased %d times, want %d (max_recoveries + 1)", leases, maxRec+1)
	}
	ev := rc.statusFor(acc.ID)[0]
	if ev.Data.Status != "unknown" || ev.Data.ErrorCode != store.ErrCodeWorkerLost {
		t.Fatalf("webhook: status %q error %q, want unknown/%s", ev.Data.Status, ev.Data.ErrorCode, store.ErrCodeWorkerLost)
	}
	st := c.get(acc.ID)
	if st.Status != "failed" || st.Recipients[0].Status != "unknown" || st.Recipients[0].ErrorCode != store.ErrCodeWorkerLost {
		t.Fatalf("GET /sms: %+v", st)
	}
}

// silentISMG listens on a loopback port, accepts connections and never
// answers; it closes with the test.
func silentISMG(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}
