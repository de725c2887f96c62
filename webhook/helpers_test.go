package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	testChannel = "cm1"
	testSecret  = "whsec_test"
	waitLong    = 10 * time.Second
)

// fixture is one test's store and context.
type fixture struct {
	t   testing.TB
	env *testenv.RedisEnv
	st  *store.Store
	ctx context.Context
}

func newFixture(t testing.TB, opts store.Options) *fixture {
	env := testenv.Redis(t)
	opts.Prefix = env.Prefix
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return &fixture{t: t, env: env, st: store.New(env.Client, opts), ctx: ctx}
}

// seq numbers requests and Msg_Ids across a test binary.
var seq atomic.Int64

// seedStatus creates a request of R recipients × S segments with callback
// URL cb, submits every segment and reports stat(r, s) for each, so that
// every recipient becomes final and gets an sms.status event. It returns
// the request id and the event ids (recipient order).
func (f *fixture) seedStatus(tenant, cb string, R, S int, stat func(r, s int) string) (string, []string) {
	f.t.Helper()
	id := fmt.Sprintf("req-%d", seq.Add(1))
	req := store.NewRequest{
		ID: id, Tenant: tenant, Channel: testChannel, CallbackURL: cb, ClientRef: "ref-" + id, MsgFmt: 8,
	}
	for r := 1; r <= R; r++ {
		req.Recipients = append(req.Recipients, fmt.Sprintf("1380013%04d", r))
	}
	for s := 1; s <= S; s++ {
		req.Segments = append(req.Segments, store.Segment{Content: []byte{0x05, 0x00, 0x03, 0x01, byte(S), byte(s), 0, 'a'}, UDHI: true})
	}
	if err := f.st.CreateRequest(f.ctx, req); err != nil {
		f.t.Fatalf("CreateRequest: %v", err)
	}
	jobs, err := f.st.Lease(f.ctx, testChannel, "test", R*S)
	if err != nil || len(jobs) != R*S {
		f.t.Fatalf("Lease: %d jobs, %v", len(jobs), err)
	}
	outs := make([]store.SubmitOutcome, len(jobs))
	reps := make([]store.ReportIn, len(jobs))
	for i, j := range jobs {
		mid := fmt.Sprintf("%022d", seq.Add(1))
		outs[i] = store.SubmitOutcome{Job: j.ID, MsgID: mid}
		reps[i] = store.ReportIn{MsgID: mid, Stat: stat(j.Recipient, j.Segment), DoneTime: "2611220240", Dest: j.Dest}
	}
	if _, err := f.st.Submitted(f.ctx, testChannel, outs); err != nil {
		f.t.Fatalf("Submitted: %v", err)
	}
	res, err := f.st.Reports(f.ctx, testChannel, reps)
	if err != nil {
		f.t.Fatalf("Reports: %v", err)
	}
	var evs []string
	for _, o := range res {
		if o.EventID != "" {
			evs = append(evs, o.EventID)
		}
	}
	if len(evs) != R {
		f.t.Fatalf("seeded %d events, want %d (one per recipient)", len(evs), R)
	}
	return id, evs
}

// delivered reports whether DELIVRD everywhere.
func delivrd(int, int) string { return "DELIVRD" }

// seedMO stores a one-part MO message to dest and returns its event id.
func (f *fixture) seedMO(dest, text, cb string) string {
	f.t.Helper()
	mo, err := f.st.MOPart(f.ctx, testChannel, store.MOPart{
		DeliverMsgID: fmt.Sprintf("%022d", seq.Add(1)), Src: "13800138000", Dest: dest,
		ServiceID: "svc", MsgFmt: 0, Total: 1, Index: 1, Data: []byte(text), CallbackURL: cb,
	})
	if err != nil || mo == nil {
		f.t.Fatalf("MOPart: %v %v", mo, err)
	}
	return mo.EventID
}

// withoutSegments turns ready sms.status events into what a store version
// that did not record segment states left: event hashes without "segs" in
// the previous version's ready list (store.Keys.LegacyEventQueue), which
// Recover then moves to the ready list (so their bodies are rendered from
// the request and saved). Their records leave the ready list.
func (f *fixture) withoutSegments(eids ...string) {
	f.t.Helper()
	keys := f.st.Keys()
	ready := keys.EventQueue(testChannel)
	drop := map[string]bool{}
	for _, eid := range eids {
		ev := f.event(eid)
		f.env.SeedHash(f.t, keys.Event(testChannel, eid), map[string]string{
			"id": ev.ID, "at": strconv.FormatInt(ev.CreatedAt.UnixMilli(), 10), "att": "0", "type": string(ev.Type),
			"req": ev.RequestID, "r": strconv.Itoa(ev.Recipient), "to": ev.To, "status": string(ev.Status),
			"err": ev.ErrorCode, "cb": ev.CallbackURL, "tenant": ev.Tenant, "ref": ev.ClientRef,
		})
		f.env.Do(f.t, "RPUSH", keys.LegacyEventQueue(testChannel), eid)
		drop["~id"+strconv.Itoa(len(eid))+":"+eid] = true
	}
	// Records start with "~id<length>:<id>" (store/eventrec.go).
	entries, err := f.env.Client.LRange(f.ctx, ready, 0, -1).Result()
	if err != nil {
		f.t.Fatal(err)
	}
	f.env.Do(f.t, "DEL", ready)
	for _, e := range entries {
		if !dropPrefix(drop, e) {
			f.env.Do(f.t, "RPUSH", ready, e)
		}
	}
	if _, err := f.st.Recover(f.ctx, testChannel); err != nil {
		f.t.Fatal(err)
	}
	for _, eid := range eids {
		if f.event(eid).Segments != nil {
			f.t.Fatalf("event %s: segments still recorded", eid)
		}
	}
}

// dropPrefix reports whether record e starts with one of the prefixes (the
// id's length is in them: one id's prefix is not another's).
func dropPrefix(prefixes map[string]bool, e string) bool {
	for p := range prefixes {
		if strings.HasPrefix(e, p) {
			return true
		}
	}
	return false
}

// acked reports whether the event is gone from the store (delivered).
func (f *fixture) acked(eid string) bool {
	f.t.Helper()
	_, err := f.st.GetEvent(f.ctx, testChannel, eid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		f.t.Fatalf("GetEvent: %v", err)
	}
	return errors.Is(err, store.ErrNotFound)
}

// event reads an event that must exist.
func (f *fixture) event(eid string) *store.Event {
	f.t.Helper()
	ev, err := f.st.GetEvent(f.ctx, testChannel, eid)
	if err != nil {
		f.t.Fatalf("GetEvent %s: %v", eid, err)
	}
	return ev
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a real HTTP webhook receiver. Its handler answers the
// status that respond returns for the n-th request (1-based); block, when
// not nil, holds every request until it is closed.
type receiver struct {
	srv     *httptest.Server
	respond func(n int) int
	block   chan struct{}

	mu   sync.Mutex
	reqs []received

	inflight, maxInflight atomic.Int64
	answered              atomic.Int64 // requests answered 2xx
}

func newReceiver(t testing.TB, respond func(n int) int) *receiver {
	rc := &receiver{respond: respond}
	if rc.respond == nil {
		rc.respond = func(int) int { return http.StatusOK }
	}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() {
		rc.unblock()
		rc.srv.Close()
	})
	return rc
}

// blocking makes the receiver hold requests until unblock.
func (rc *receiver) blocking() *receiver {
	rc.block = make(chan struct{})
	return rc
}

var unblockMu sync.Mutex

func (rc *receiver) unblock() {
	unblockMu.Lock()
	defer unblockMu.Unlock()
	if rc.block != nil {
		select {
		case <-rc.block:
		default:
			close(rc.block)
		}
	}
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	n := rc.inflight.Add(1)
	defer rc.inflight.Add(-1)
	for {
		m := rc.maxInflight.Load()
		if n <= m || rc.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, received{header: r.Header.Clone(), body: body, at: time.Now()})
	num := len(rc.reqs)
	rc.mu.Unlock()
	if rc.block != nil {
		select {
		case <-rc.block:
		case <-r.Context().Done():
			return
		}
	}
	code := rc.respond(num)
	if code >= 200 && code < 300 {
		rc.answered.Add(1)
	}
	w.WriteHeader(code)
	fmt.Fprintf(w, "answer %d\n", code)
}

// requests returns a copy of what was received so far.
func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

// acme is the test tenant "acme" (secret testSecret, default URL
// defaultURL, the default MO tenant) on testChannel.
func acme(defaultURL string) registry.Tenant {
	return registry.Tenant{Name: "acme", CallbackURL: defaultURL, WebhookSecret: testSecret,
		Channels: []string{testChannel}, Default: true}
}

// tenantsOf is the dispatcher's view of a registry snapshot holding ts
// and testChannel (service code 10690).
func tenantsOf(ts ...registry.Tenant) RegistryTenants {
	snap := registry.NewSnapshot(1, ts, []registry.Channel{{Name: testChannel, SrcID: "10690"}})
	return RegistryTenants{Snapshot: func() *registry.Snapshot { return snap }}
}

// tenants returns the Tenants of acme(defaultURL) alone.
func tenants(defaultURL string) RegistryTenants { return tenantsOf(acme(defaultURL)) }

// fastConfig is a Config with short durations for tests, allowing
// loopback receivers.
func (f *fixture) fastConfig(ts Tenants) Config {
	return Config{
		Store: f.st, Channels: []string{testChannel}, Tenants: ts, Wake: wake.New(testChannel),
		InitialBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond,
		RetryFor: time.Minute, Timeout: 5 * time.Second, PollInterval: 20 * time.Millisecond,
		StopGrace: 5 * time.Second, Version: "test", Metrics: metrics.New(),
		AllowPrivateNetworks: true, // the test receivers listen on 127.0.0.1
	}
}

// running is a started Dispatcher.
type running struct {
	d      *Dispatcher
	cancel context.CancelFunc
	done   chan error
}

// start runs a Dispatcher for cfg until the test ends (or stop).
func start(t testing.TB, cfg Config) *running { return startDispatcher(t, New(cfg)) }

// startDispatcher runs d until the test ends (or stop).
func startDispatcher(t testing.TB, d *Dispatcher) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{d: d, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and waits for it to return (at most waitLong).
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(waitLong):
		t.Fatal("Run did not return after cancel")
	}
}

// atomicBool is a settable flag shared with handlers.
type atomicBool struct{ v atomic.Bool }

func (b *atomicBool) get() bool  { return b.v.Load() }
func (b *atomicBool) set(v bool) { b.v.Store(v) }

// counterValue reads a counter.
func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return m.GetCounter().GetValue()
}

// outcomes reads cfg's Webhooks counter for events of type typ settled
// with outcome.
func outcomes(t testing.TB, cfg Config, typ, outcome string) float64 {
	t.Helper()
	return counterValue(t, cfg.Metrics.Webhooks.WithLabelValues(typ, outcome))
}

// waitOutcomes waits (at most waitLong) until n events of type typ have
// been settled with outcome.
func waitOutcomes(t testing.TB, cfg Config, typ, outcome string, n int) {
	t.Helper()
	testenv.WaitFor(t, waitLong, fmt.Sprintf("%d %s events %s", n, typ, outcome), func() bool {
		return outcomes(t, cfg, typ, outcome) == float64(n)
	})
}

// histogramCount reads the number of observations of a histogram.
func histogramCount(t testing.TB, h prometheus.Histogram) uint64 {
	t.Helper()
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatalf("read histogram: %v", err)
	}
	return m.GetHistogram().GetSampleCount()
}
