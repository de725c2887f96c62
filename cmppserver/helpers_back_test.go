package cmppserver

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/routing"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// staticRegistry serves one snapshot, replaceable with set.
type staticRegistry struct {
	snap    atomic.Pointer[registry.Snapshot]
	mu      sync.Mutex
	changed chan struct{}
}

func newStaticRegistry(tenants []registry.Tenant, channels []registry.Channel) *staticRegistry {
	r := &staticRegistry{changed: make(chan struct{})}
	r.snap.Store(registry.NewSnapshot(1, tenants, channels))
	return r
}

func (r *staticRegistry) Snapshot() *registry.Snapshot { return r.snap.Load() }

func (r *staticRegistry) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// testTenant is a tenant "acme" with CMPP account 910001 on channel "ch1".
func testTenant() registry.Tenant {
	return registry.Tenant{
		Name: "acme", Channels: []string{"ch1"}, MOExt: "7", TimeZone: "Asia/Shanghai",
		CMPP: &registry.CMPPAccess{Account: "910001", Secret: "demo-cmpp", MaxLinks: 8,
			Version: "3.0", ServiceCode: "1065800001"},
	}
}

func testChannels() []registry.Channel {
	return []registry.Channel{{Name: "ch1", SrcID: "10690001"}}
}

// testServer is a running Server on a real Redis and a loopback port.
type testServer struct {
	srv     *Server
	st      *store.Store
	reg     *staticRegistry
	metrics *metrics.Metrics
	env     *testenv.RedisEnv
	stop    func()
}

// startServer runs a server for tenants on env (cfg's zero fields take
// the defaults; Addr is a free loopback port).
func startServer(t testing.TB, env *testenv.RedisEnv, cfg Config, replica string, tenants ...registry.Tenant) *testServer {
	t.Helper()
	return startServerOn(t, env, cfg, replica, testChannels(), nil, tenants...)
}

// startServerOn is startServer with channels and a carrier lookup for the
// Router (nil: none).
func startServerOn(t testing.TB, env *testenv.RedisEnv, cfg Config, replica string, channels []registry.Channel,
	carriers func(context.Context, []string) ([]string, error), tenants ...registry.Tenant) *testServer {
	t.Helper()
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	reg := newStaticRegistry(tenants, channels)
	m := metrics.New()
	cfg.Addr = "127.0.0.1:0"
	cfg.FillDefaults()
	if err := cfg.Validate("cmpp_server"); err != nil {
		t.Fatal(err)
	}
	router := routing.New(routing.Deps{Snapshot: reg.Snapshot, Carriers: carriers})
	srv, err := New(cfg, Deps{Store: st, Registry: reg, Metrics: m, Logger: zerolog.Nop(), ReplicaID: replica, Router: router})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return &testServer{srv: srv, st: st, reg: reg, metrics: m, env: env, stop: stop}
}

// dial logs a CMPP client in to ts.
func (ts *testServer) dial(t testing.TB, v cmpp.Version, h cmpp.DeliverHandler) *cmpp.Link {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := cmpp.Dial(ctx, cmpp.LinkConfig{
		Addr: ts.srv.Addr().String(), SPID: "910001", Secret: "demo-cmpp", Version: v,
		Window: 16, ResponseTimeout: 5 * time.Second, DeliverHandler: h,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = l.Close(c)
	})
	return l
}

// ucs2Submit is a valid one-segment SUBMIT to dests.
func ucs2Submit(dests ...string) *cmpp.Submit {
	return &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, ServiceID: "TEST", MsgFmt: 8,
		SrcID: "106580000199", DestTerminalIDs: dests, MsgContent: []byte{0x4f, 0x60, 0x59, 0x7d},
	}
}

// metricSum sums the samples of metric name whose labels include want.
func metricSum(t testing.TB, ts *testServer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := ts.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

// waitMetric waits until metricSum reaches v.
func waitMetric(t testing.TB, ts *testServer, name string, labels map[string]string, v float64) {
	t.Helper()
	testenv.WaitFor(t, 10*time.Second, name, func() bool { return metricSum(t, ts, name, labels) == v })
}
