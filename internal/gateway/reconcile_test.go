package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Reconciler tests: one in-process gateway on a real Redis, its
// configured channel "default" on a simulator of its own, and channels
// added at runtime through its registry.

var testActor = registry.Actor{ID: "admin:test", RemoteAddr: "127.0.0.1"}

// reconcileRig is a gateway and the store it runs on.
type reconcileRig struct {
	t    *testing.T
	env  *testenv.RedisEnv
	gw   *Gateway
	st   *store.Store
	stop context.CancelFunc
	done chan struct{}
}

// newSim starts a simulator with the account testSP.
func newSim(t *testing.T) *ismgsim.Server {
	t.Helper()
	sim, err := ismgsim.NewServer(ismgsim.Config{Accounts: []ismgsim.Account{{SPID: testSP, Secret: testSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

// reconcileConfig is a gateway configuration on env whose channel
// "default" is on sim.
func reconcileConfig(t *testing.T, env *testenv.RedisEnv, sim *ismgsim.Server, shutdown time.Duration) *config.Config {
	t.Helper()
	sum := sha256.Sum256([]byte(testKey))
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
http: {addr: "127.0.0.1:0"}
redis: {addr: %q, prefix: %q}
shutdown_timeout: %s
channels:
  - {name: default, addr: %q, sp_id: %q, secret: %q, src_id: "1065800001", service_id: TEST, links: 1, window: 1}
tenants:
  - {name: acme, key_sha256: %s, callback_url: "http://127.0.0.1:1/hook", webhook_secret: "0123456789abcdef", channels: [default], default: true}
webhook: {allow_private_networks: true}
`, env.Addr, env.Prefix, shutdown, sim.Addr(), testSP, testSecret, hex.EncodeToString(sum[:]))), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runRig builds the gateway of cfg and runs it until the test ends; its
// log goes to the test's, and to also if not nil.
func runRig(t *testing.T, env *testenv.RedisEnv, cfg *config.Config, also io.Writer) *reconcileRig {
	t.Helper()
	var w io.Writer = zerolog.NewTestWriter(t)
	if also != nil {
		w = io.MultiWriter(w, also)
	}
	gw, err := New(cfg, zerolog.New(w).Level(zerolog.InfoLevel), Options{Version: "test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &reconcileRig{t: t, env: env, gw: gw, st: store.New(env.Client, cfg.StoreOptions()), stop: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); _ = gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	testenv.WaitFor(t, 10*time.Second, "channel default ready", func() bool { return gw.senders.ChannelsReady()["default"] })
	return r
}

// runtimeChannel is a channel on addr, answering slowly enough (window 1,
// response_timeout 1h) that a SUBMIT stays in flight as long as the
// simulator holds its response.
func runtimeChannel(name, addr string) registry.Channel {
	return registry.Channel{Name: name, Addr: addr, SPID: testSP, Secret: testSecret, SrcID: "1065800002",
		ServiceID: "TEST", Links: 1, Window: 1, ResponseTimeout: registry.Duration(time.Hour)}
}

// enqueue stores a one-recipient request on channel and wakes its sender.
func (r *reconcileRig) enqueue(channel, id string) {
	r.t.Helper()
	if err := r.st.CreateRequest(context.Background(), store.NewRequest{ID: id, Tenant: "acme", Channel: channel,
		MsgFmt: 8, Recipients: []string{"13800138000"}, Segments: []store.Segment{{Content: []byte("hi")}}}); err != nil {
		r.t.Fatal(err)
	}
	r.gw.wake.JobsQueued(channel)
}

// segmentState is the state of the request's only segment.
func (r *reconcileRig) segmentState(id string) store.JobState {
	r.t.Helper()
	req, err := r.st.GetRequest(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return req.Recipients[0].Segments[0].State
}

// replaceInFlight creates channel "slow" on sim, has a SUBMIT of it held
// in flight (sim delays its response by hold), then changes the channel's
// address to addr: the reconciler replaces it, and the old channel drains
// while the SUBMIT waits for its answer. It returns the request id once
// the replacement is under way.
func (r *reconcileRig) replaceInFlight(sim *ismgsim.Server, hold time.Duration, addr string) string {
	r.t.Helper()
	ctx := context.Background()
	reg := r.gw.Registry()
	if _, err := reg.CreateChannel(ctx, testActor, runtimeChannel("slow", sim.Addr())); err != nil {
		r.t.Fatal(err)
	}
	testenv.WaitFor(r.t, 10*time.Second, "channel slow ready", func() bool { return r.gw.senders.ChannelsReady()["slow"] })
	sim.SetFaults(ismgsim.Faults{ResponseDelay: hold})
	r.enqueue("slow", "held")
	testenv.WaitFor(r.t, 10*time.Second, "SUBMIT of slow in flight", func() bool { return len(sim.Received()) == 1 })
	if _, err := reg.UpdateChannel(ctx, testActor, "slow", func(ch *registry.Channel) error {
		ch.Addr = addr
		return nil
	}); err != nil {
		r.t.Fatal(err)
	}
	testenv.WaitFor(r.t, 5*time.Second, "replacement of slow under way", func() bool {
		c := r.gw.senders.Channel("slow")
		return c != nil && c.Settings().Link.Addr == addr
	})
	if sim.Links(testSP) != 1 || r.segmentState("held") != store.JobLeased {
		r.t.Fatalf("the old channel is not draining: %d links, segment %s", sim.Links(testSP), r.segmentState("held"))
	}
	return "held"
}

// countingListener accepts TCP connections on loopback and counts them
// (closing each at once): a channel pointed at it shows whether it ever
// started.
func countingListener(t *testing.T) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String(), accepted
}

// A registry change applies within a second while another channel's
// Replace is still draining: the reconciler does not wait for the drain.
func TestReconcileDoesNotWaitForDrain(t *testing.T) {
	env := testenv.Redis(t)
	r := runRig(t, env, reconcileConfig(t, env, newSim(t), 10*time.Second), nil)
	slowSim, newSimA, other := newSim(t), newSim(t), newSim(t)
	id := r.replaceInFlight(slowSim, 3*time.Second, newSimA.Addr())

	changed := time.Now()
	if _, err := r.gw.Registry().CreateChannel(context.Background(), testActor, runtimeChannel("other", other.Addr())); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, time.Second, "channel other started", func() bool { return r.gw.senders.Channel("other") != nil })
	applied := time.Since(changed)
	if slowSim.Links(testSP) != 1 || r.segmentState(id) != store.JobLeased {
		t.Fatal("the old channel slow stopped draining before the check: the test proves nothing")
	}
	testenv.WaitFor(t, 5*time.Second, "channel other logged in", func() bool { return other.Links(testSP) == 1 })

	// The drain then ends as usual: the answer is stored, the new
	// channel starts.
	testenv.WaitFor(t, 10*time.Second, "held SUBMIT answered and stored", func() bool { return r.segmentState(id) != store.JobLeased })
	testenv.WaitFor(t, 10*time.Second, "replacement logged in", func() bool { return newSimA.Links(testSP) == 1 })
	if st := r.segmentState(id); st != store.JobSubmitted && !st.Final() {
		t.Fatalf("held segment is %s after the drain, want submitted", st)
	}
	t.Logf("change applied %v after it was made, during a 3 s drain", applied.Round(time.Millisecond))
}

// SIGTERM while a Replace drains: the drain goes on within the shutdown
// budget (the SUBMIT in flight is answered and stored), and the new
// channel never starts.
func TestShutdownDuringReplace(t *testing.T) {
	env := testenv.Redis(t)
	const budget = 8 * time.Second
	r := runRig(t, env, reconcileConfig(t, env, newSim(t), budget), nil)
	slowSim := newSim(t)
	addr, conns := countingListener(t)
	id := r.replaceInFlight(slowSim, 1500*time.Millisecond, addr)

	stopped := time.Now()
	r.stop()
	select {
	case <-r.done:
	case <-time.After(budget + 5*time.Second):
		t.Fatal("Run did not return")
	}
	took := time.Since(stopped)
	if took >= budget {
		t.Errorf("Run took %v: the drain used the whole budget", took)
	}
	if st := r.segmentState(id); st != store.JobSubmitted && !st.Final() {
		t.Errorf("held segment is %s after the shutdown, want submitted (its answer stored in the drain)", st)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the replacement channel connected %d times during the shutdown", n)
	}
	if n := len(slowSim.Received()); n != 1 {
		t.Errorf("the simulator got %d SUBMITs, want 1", n)
	}
	t.Logf("Run returned %v after the stop", took.Round(time.Millisecond))
}

// A stored channel the sender refuses (no addr, created while the
// embedded simulator was on) does not stop New: it is left out, and
// GET /readyz shows it without links.
func TestBadStoredChannelDoesNotStopNew(t *testing.T) {
	env := testenv.Redis(t)
	demoReg, err := registry.New(env.Client, registry.Options{Prefix: env.Prefix, AllowEmptyChannelAddr: true})
	if err != nil {
		t.Fatal(err)
	}
	bad := runtimeChannel("noaddr", "")
	if _, err := demoReg.CreateChannel(context.Background(), testActor, bad); err != nil {
		t.Fatal(err)
	}
	var logs testenv.LogBuffer
	r := runRig(t, env, reconcileConfig(t, env, newSim(t), 5*time.Second), &logs)
	if r.gw.senders.Channel("noaddr") != nil {
		t.Fatal("the channel without addr was started")
	}
	refused := false
	for line := range strings.Lines(logs.String()) {
		var ev struct{ Level, Channel, Error string }
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Level == "error" && ev.Channel == "noaddr" && strings.Contains(ev.Error, "addr") {
			refused = true
		}
	}
	if !refused {
		t.Fatal("no error logged with the refused channel's name and reason")
	}
	resp, err := http.Get("http://" + r.gw.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var ready struct {
		Status   string          `json:"status"`
		Channels map[string]bool `json:"channels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ready); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || ready.Channels["noaddr"] || !ready.Channels["default"] {
		t.Fatalf("readyz %d %+v: want 503, noaddr not ready, default ready", resp.StatusCode, ready)
	}
}
