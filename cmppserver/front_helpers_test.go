package cmppserver

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Test accounts.
const (
	acct30     = "910001" // acme, 3.0, max_links 2
	secret30   = "s3cret-30"
	acct20     = "9102" // old, 2.0 only, 4 characters (padding forms differ)
	secret20   = "s3cret-20"
	acctFenced = "910003" // fenced: allowed_ips 10.0.0.0/8 only
	secretFen  = "s3cret-fen"
)

// fixture is a running server on real Redis and real TCP.
type fixture struct {
	env  *testenv.RedisEnv
	st   *store.Store
	reg  *registry.Registry
	srv  *Server
	addr string
	logs *testenv.LogBuffer
	met  *metrics.Metrics
}

// testTenants are the accounts every test starts with.
func testTenants() ([]registry.Tenant, []registry.Channel) {
	chans := []registry.Channel{{Name: "cm1", Addr: "127.0.0.1:7890", SPID: "901234", Secret: "cm1-secret", SrcID: "1065800001"}}
	tenants := []registry.Tenant{
		{Name: "acme", WebhookSecret: "whsec-acme-0123456789abcdef", Channels: []string{"cm1"},
			CMPP: &registry.CMPPAccess{Account: acct30, Secret: secret30, MaxLinks: 2, Version: "3.0", ServiceCode: "1065800001"}},
		{Name: "old", WebhookSecret: "whsec-old-0123456789abcdef", Channels: []string{"cm1"},
			CMPP: &registry.CMPPAccess{Account: acct20, Secret: secret20, MaxLinks: 4, Version: "2.0", ServiceCode: "1065800002"}},
		{Name: "fenced", WebhookSecret: "whsec-fenced-0123456789abcdef", Channels: []string{"cm1"},
			CMPP: &registry.CMPPAccess{Account: acctFenced, Secret: secretFen, MaxLinks: 4, Version: "3.0", ServiceCode: "1065800003", AllowedIPs: []string{"10.0.0.0/8"}}},
	}
	return tenants, chans
}

// testConfig has short timers; mut adjusts it.
func testConfig(mut func(*Config)) Config {
	cfg := Config{
		Addr:               "127.0.0.1:0",
		ReportResendAfter:  registry.Duration(200 * time.Millisecond),
		ReportResendMax:    2,
		ActiveTestInterval: registry.Duration(10 * time.Second),
		LinkLease:          registry.Duration(3 * time.Second),
		LoginTimeout:       registry.Duration(2 * time.Second),
	}
	if mut != nil {
		mut(&cfg)
	}
	return cfg
}

// newFixture starts a registry and a server (replica "r1") on a fresh
// Redis prefix; both stop when the test ends.
func newFixture(t testing.TB, mut func(*Config)) *fixture {
	t.Helper()
	env := testenv.Redis(t)
	f := &fixture{env: env, logs: &testenv.LogBuffer{}}
	f.st = store.New(env.Client, store.Options{Prefix: env.Prefix})
	// The registry's audit log is kept apart: the server's log is checked
	// for secrets.
	reg, err := registry.New(env.Client, registry.Options{Prefix: env.Prefix, Logger: zerolog.Nop(), Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tenants, chans := testTenants()
	if err := reg.Import(ctx, nil, chans); err != nil {
		cancel()
		t.Fatal(err)
	}
	// Tenants created as through the admin API, so that tests can change them.
	for _, tn := range tenants {
		if _, err := reg.CreateTenant(ctx, registry.Actor{ID: "admin:test"}, tn); err != nil {
			cancel()
			t.Fatal(err)
		}
	}
	regDone := make(chan struct{})
	go func() { defer close(regDone); _ = reg.Run(ctx) }()
	f.reg = reg
	t.Cleanup(func() {
		cancel()
		<-regDone
		if t.Failed() {
			t.Logf("server log:\n%s", f.logs.String())
		}
	})
	f.srv, f.addr = f.startServer(t, "r1", mut)
	return f
}

// startServer starts one more server (replica id) on the fixture's
// Redis and registry; it stops (Run returns) when the test ends.
func (f *fixture) startServer(t testing.TB, id string, mut func(*Config)) (*Server, string) {
	t.Helper()
	f.met = metrics.New()
	srv, err := New(testConfig(mut), Deps{
		Store: f.st, Registry: f.reg, Metrics: f.met, ReplicaID: id,
		Logger: zerolog.New(f.logs).With().Str("replica", id).Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Run did not return")
		}
	})
	return srv, srv.Addr().String()
}

// updateTenant changes a tenant through the registry (as the admin API does).
func (f *fixture) updateTenant(t testing.TB, name string, change func(*registry.Tenant)) {
	t.Helper()
	_, err := f.reg.UpdateTenant(context.Background(), registry.Actor{ID: "admin:test"}, name, func(tn *registry.Tenant) error {
		change(tn)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dial logs in with the project's client.
func dial(t testing.TB, addr, account, secret string, v cmpp.Version, h cmpp.DeliverHandler) (*cmpp.Link, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := cmpp.Dial(ctx, cmpp.LinkConfig{Addr: addr, SPID: account, Secret: secret, Version: v, DeliverHandler: h})
	if err == nil {
		t.Cleanup(func() {
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ccancel()
			_ = l.Close(cctx)
		})
	}
	return l, err
}

// raw is a hand-driven client connection.
type raw struct {
	t    testing.TB
	conn net.Conn
	fr   *cmpp.FrameReader
	v    cmpp.Version
}

func dialRaw(t testing.TB, addr string) *raw {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &raw{t: t, conn: c, fr: cmpp.NewFrameReader(c, 0), v: cmpp.V30}
}

// send writes one PDU.
func (r *raw) send(seq uint32, p cmpp.PDU) {
	r.t.Helper()
	b, err := cmpp.Append(nil, r.v, seq, p)
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(b)
}

// write writes bytes as they are.
func (r *raw) write(b []byte) {
	r.t.Helper()
	_ = r.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// read reads one frame (within 5 s) and decodes it.
func (r *raw) read() (cmpp.Header, cmpp.PDU, int) {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	frame, err := r.fr.ReadFrame()
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	n := len(frame)
	h, p, err := cmpp.Decode(frame, r.v)
	if err != nil {
		r.t.Fatalf("decode %x: %v", frame, err)
	}
	return h, p, n
}

// login sends CONNECT (padded picks the AuthenticatorSource form) and
// returns the CONNECT_RESP and its Total_Length.
func (r *raw) login(account, secret string, v cmpp.Version, padded bool) (*cmpp.ConnectResp, int) {
	r.t.Helper()
	ts := cmpp.Timestamp(time.Now())
	auth := cmpp.AuthenticatorSource(account, secret, ts)
	if padded {
		auth = cmpp.AuthenticatorSourcePadded(account, secret, ts)
	}
	r.send(1, &cmpp.Connect{SourceAddr: account, AuthenticatorSource: auth, Version: v, Timestamp: ts})
	h, p, n := r.read()
	resp, ok := p.(*cmpp.ConnectResp)
	if !ok || h.SequenceID != 1 {
		r.t.Fatalf("got %s seq %d, want CONNECT_RESP seq 1", h.CommandID, h.SequenceID)
	}
	if resp.Status == 0 {
		r.v = v
		want := cmpp.AuthenticatorISMG(0, v, auth, secret)
		if resp.AuthenticatorISMG != want {
			r.t.Errorf("AuthenticatorISMG = %x, want %x", resp.AuthenticatorISMG, want)
		}
	}
	return resp, n
}

// waitClosed reads (discarding) until the server closes the connection;
// it fails if that takes longer than within.
func (r *raw) waitClosed(within time.Duration) {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(within))
	for {
		_, err := r.fr.ReadFrame()
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatalf("connection still open after %v", within)
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "reset") {
			r.t.Fatalf("read: %v", err)
		}
		return
	}
}

// waitFor polls cond (a condition, not a sleep) until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}

// containsLog reports whether the server log contains s.
func containsLog(f *fixture, s string) bool { return strings.Contains(f.logs.String(), s) }

// closeLink ends a client link with TERMINATE.
func closeLink(t testing.TB, l *cmpp.Link) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// metricValue reads a counter or gauge.
func metricValue(t testing.TB, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("read metric: %v", err)
	}
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return m.GetCounter().GetValue()
}

// ping sends ACTIVE_TEST and expects its answer: the link is alive.
func (r *raw) ping(seq uint32) {
	r.t.Helper()
	r.send(seq, &cmpp.ActiveTest{})
	for {
		h, _, _ := r.read()
		if h.CommandID == cmpp.CmdActiveTestResp && h.SequenceID == seq {
			return
		}
		if h.CommandID != cmpp.CmdActiveTest && h.CommandID != cmpp.CmdDeliver {
			r.t.Fatalf("ping: got %s seq %d", h.CommandID, h.SequenceID)
		}
	}
}
