package failover

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/sender"
	"github.com/smsbridge/smsbridge/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	testSP     = "900001"
	testSecret = "888888"
	testCh     = "cm1"
)

// rig is one replica: a sender channel over TCP to a simulator, and the
// monitor that keeps its health, on a real Redis with the test's prefix.
type rig struct {
	env     *testenv.RedisEnv
	st      *store.Store
	hub     *wake.Hub
	sim     *ismgsim.Server
	svc     *sender.Service
	mon     *Monitor
	metrics *metrics.Metrics
}

// fastRules are rules with test-sized durations.
func fastRules() Rules {
	return Rules{NoLinkFor: time.Second, FailureShare: 0.5, Window: 4 * time.Second, MinSegments: 10, HealthyFor: time.Second}
}

func newRig(t *testing.T, rules Rules) *rig {
	t.Helper()
	env := testenv.Redis(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: 2 * time.Second})
	sim, err := ismgsim.NewServer(ismgsim.Config{
		Accounts:    []ismgsim.Account{{SPID: testSP, Secret: testSecret}},
		ReportDelay: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	r := &rig{env: env, st: st, hub: wake.New(testCh), sim: sim, metrics: metrics.New()}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	r.svc, err = sender.NewService()
	if err != nil {
		t.Fatal(err)
	}
	r.mon, err = NewMonitor(Config{Store: st, Owner: "rig-" + env.Prefix, Logger: log, Metrics: r.metrics,
		Ready: r.svc.ChannelsReady, Tick: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r.mon.SetRules(map[string]Rules{testCh: rules})
	ch, err := sender.NewChannel(sender.Settings{
		Name: testCh,
		Link: cmpp.LinkConfig{Addr: sim.Addr(), SPID: testSP, Secret: testSecret, Version: cmpp.V30,
			ResponseTimeout: time.Second, IdleInterval: 5 * time.Second},
		Links: 2, SrcID: "1065800001", FeeType: "01", FeeCode: "000000", FeeUserType: 2,
		ReconnectBackoff: 20 * time.Millisecond, ReconnectMaxBackoff: 200 * time.Millisecond,
		LinkLossBackoff: 10 * time.Millisecond, LinkLossMaxBackoff: 100 * time.Millisecond,
	}, sender.Deps{Store: st, Owner: "rig-" + env.Prefix, Wake: r.hub, Logger: log, Health: r.mon})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Add(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	svcDone, monDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(svcDone); _ = r.svc.Run(ctx) }()
	go func() { defer close(monDone); r.mon.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-svcDone; <-monDone })
	return r
}

// enqueue queues a request of n recipients (one segment each) on the
// channel.
func (r *rig) enqueue(t *testing.T, id string, n int) {
	t.Helper()
	req := store.NewRequest{ID: id, Tenant: "t", Channel: testCh, MsgFmt: 8,
		Segments: []store.Segment{{Content: []byte{0x4f, 0x60}}}}
	for i := range n {
		req.Recipients = append(req.Recipients, fmt.Sprintf("1380013%04d", i))
	}
	if err := r.st.CreateRequest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	r.hub.JobsQueued(testCh)
}

func (r *rig) request(t *testing.T, id string) *store.Request {
	t.Helper()
	req, err := r.st.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// switches returns the failover switches this rig's monitor counted.
func (r *rig) switches(rule, dir string) float64 {
	return counterValue(r.metrics, testCh, rule, dir)
}
