package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/failover"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/routing"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// API keys of the test tenants.
const (
	acmeKey  = "acme-secret-key"
	betaKey  = "beta-secret-key"
	adminKey = "admin-secret-key"
)

// testMaxBody is the body limit of the test config.
const testMaxBody = 32 << 10 // 1000 numbers fit, 1001 too

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// testConfig is the config of the test API: body limit and admin key.
func testConfig() *config.Config {
	cfg := config.Defaults()
	cfg.HTTP.MaxBodyBytes = testMaxBody
	cfg.HTTP.AdminKey = adminKey
	return cfg
}

// Webhook secrets of the test tenants (never to be seen in an answer or a
// log line).
const (
	acmeSecret = "acme-webhook-secret-0123456789"
	betaSecret = "beta-webhook-secret-0123456789"
)

// setup is what a harness is built from: the config and the accounts
// imported into the registry (as from config.yaml).
type setup struct {
	cfg      *config.Config
	tenants  []registry.Tenant
	channels []registry.Channel
	// carriers, when set, is the Router's carrier lookup (else none).
	carriers func(ctx context.Context, numbers []string) ([]string, error)
}

// testSetup has channels cm1 and cm2 and tenants acme (cm1 only) and beta
// (cm2, then cm1).
func testSetup() *setup {
	return &setup{
		cfg: testConfig(),
		channels: []registry.Channel{
			{Name: "cm1", Addr: "127.0.0.1:7890", SPID: "901234", Secret: "cm1-secret", SrcID: "1065800001"},
			{Name: "cm2", Addr: "127.0.0.1:7891", SPID: "901235", Secret: "cm2-secret", SrcID: "10658000020000000"}, // 17 digits: ext of at most 4
		},
		tenants: []registry.Tenant{
			{Name: "acme", KeySHA256: sha(acmeKey), WebhookSecret: acmeSecret, CallbackURL: "https://acme.example/hook", Channels: []string{"cm1"}},
			{Name: "beta", KeySHA256: sha(betaKey), WebhookSecret: betaSecret, Channels: []string{"cm2", "cm1"}},
		},
	}
}

// newRegistry returns a running registry on env with su's accounts
// imported; it stops when the test ends.
func newRegistry(t testing.TB, env *testenv.RedisEnv, su *setup, log zerolog.Logger) *registry.Registry {
	t.Helper()
	reg, err := registry.New(env.Client, registry.Options{
		Prefix: env.Prefix, AllowPrivateNetworks: su.cfg.Webhook.AllowPrivateNetworks, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := reg.Import(ctx, su.tenants, su.channels); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = reg.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return reg
}

// fakeReadiness stands for the sender's link pool.
type fakeReadiness struct {
	mu     sync.Mutex
	ready  map[string]bool
	detail map[string]string // ChannelsDetail
}

func (f *fakeReadiness) ChannelsDetail() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.detail))
	for k, v := range f.detail {
		out[k] = v
	}
	return out
}

func (f *fakeReadiness) set(ch string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready[ch] = ok
}

func (f *fakeReadiness) ChannelsReady() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]bool, len(f.ready))
	for k, v := range f.ready {
		out[k] = v
	}
	return out
}

// fakeCanceller stands for the sender's CMPP_CANCEL: it answers from a
// table of Msg_Id → outcome and records what it was asked.
type fakeCanceller struct {
	mu       sync.Mutex
	outcomes map[string]CancelOutcome
	err      error
	calls    []cancelCall
}

type cancelCall struct {
	channel string
	msgIDs  []string
}

func (f *fakeCanceller) CancelSubmitted(_ context.Context, channel string, msgIDs []string) ([]CancelOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, cancelCall{channel, append([]string(nil), msgIDs...)})
	if f.err != nil {
		return nil, f.err
	}
	var out []CancelOutcome
	for _, id := range msgIDs {
		if o, ok := f.outcomes[id]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

func (f *fakeCanceller) answer(outs ...CancelOutcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range outs {
		f.outcomes[o.MsgID] = o
	}
}

func (f *fakeCanceller) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeCanceller) recorded() []cancelCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cancelCall(nil), f.calls...)
}

// harness is one API on a real Redis and a real registry behind a real
// HTTP server.
type harness struct {
	env       *testenv.RedisEnv
	store     *store.Store
	registry  *registry.Registry
	srv       *Server
	ts        *httptest.Server
	metrics   *metrics.Metrics
	logs      *testenv.LogBuffer
	audit     *testenv.LogBuffer // the registry's log
	readiness *fakeReadiness
	failover  *failover.Monitor // real, on the harness's store; no channel until a test sets rules
	canceller *fakeCanceller
	hub       *wake.Hub
}

func newHarness(t testing.TB, mutate ...func(*setup)) *harness {
	t.Helper()
	return newHarnessOn(t, testenv.Redis(t), mutate...)
}

// newHarnessOn is newHarness on the Redis of env.
func newHarnessOn(t testing.TB, env *testenv.RedisEnv, mutate ...func(*setup)) *harness {
	t.Helper()
	return newHarnessWith(t, env, store.Options{Prefix: env.Prefix}, mutate...)
}

// newHarnessWith is newHarnessOn with store options opts.
func newHarnessWith(t testing.TB, env *testenv.RedisEnv, opts store.Options, mutate ...func(*setup)) *harness {
	t.Helper()
	su := testSetup()
	for _, f := range mutate {
		f(su)
	}
	cfg := su.cfg
	h := &harness{
		env:       env,
		store:     store.New(env.Client, opts),
		metrics:   metrics.New(),
		logs:      &testenv.LogBuffer{},
		audit:     &testenv.LogBuffer{},
		readiness: &fakeReadiness{ready: map[string]bool{"cm1": true, "cm2": true}},
		canceller: &fakeCanceller{outcomes: map[string]CancelOutcome{}},
		hub:       wake.New("cm1", "cm2"),
	}
	h.registry = newRegistry(t, env, su, zerolog.New(h.audit).Level(zerolog.InfoLevel))
	var err error
	h.failover, err = failover.NewMonitor(failover.Config{Store: h.store, Owner: "api-test", Logger: zerolog.New(h.logs)})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = New(Deps{
		Store: h.store, Registry: h.registry, Config: cfg, Metrics: h.metrics,
		Logger:    zerolog.New(h.logs).Level(zerolog.InfoLevel),
		Canceller: h.canceller, Readiness: h.readiness, Failover: h.failover, Wake: h.hub,
		Router: routing.New(routing.Deps{Snapshot: h.registry.Snapshot, Carriers: su.carriers}),
	})
	h.ts = httptest.NewServer(h.srv.Handler())
	t.Cleanup(h.ts.Close)
	return h
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errBody decodes an error answer and checks its shape.
func (r response) errBody(t testing.TB) ErrorBody {
	t.Helper()
	var e ErrorBody
	r.json(t, &e)
	if e.Code == "" || e.Message == "" {
		t.Fatalf("error body without code or message: %s", r.body)
	}
	return e
}

// do sends one request. body may be a string, []byte, io.Reader or any
// value marshalled to JSON (nil: no body).
func (h *harness) do(t testing.TB, method, path, key string, body any, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := h.client(t).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// post sends POST /sms as acme unless told otherwise.
func (h *harness) post(t testing.TB, key string, body any, hdr ...string) response {
	t.Helper()
	return h.do(t, http.MethodPost, "/sms", key, body, hdr...)
}

// pending returns the queue length of channel.
func (h *harness) pending(t testing.TB, channel string) int64 {
	t.Helper()
	st, err := h.store.QueueDepth(context.Background(), channel)
	if err != nil {
		t.Fatal(err)
	}
	return st.Pending
}

// mustAccept posts body and requires 202.
func (h *harness) mustAccept(t testing.TB, key string, body any, hdr ...string) SendResponse {
	t.Helper()
	r := h.post(t, key, body, hdr...)
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /sms = %d %s, want 202", r.status, r.body)
	}
	var out SendResponse
	r.json(t, &out)
	return out
}

// chinese returns n Chinese characters.
func chinese(n int) string { return strings.Repeat("中", n) }

// numbers returns n distinct valid numbers.
func numbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("139%08d", i)
	}
	return out
}

// counterValue reads a counter.
func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// auth is what requireTenant finds for key (which must authenticate).
func (h *harness) auth(t testing.TB, key string) *authed {
	t.Helper()
	snap := h.registry.Snapshot()
	tn, id, ok := snap.Authenticate(key)
	if !ok {
		t.Fatalf("key does not authenticate")
	}
	return &authed{tenant: tn, snap: snap, keyID: id}
}

// admin sends one admin request with the admin key.
func (h *harness) admin(t testing.TB, method, path string, body any) response {
	t.Helper()
	return h.do(t, method, path, adminKey, body)
}

// dataKeys returns the keys of the environment but the registry's (the
// accounts imported at start): what requests wrote.
func (h *harness) dataKeys(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, k := range h.env.Keys(t) {
		if !strings.Contains(k, ":_registry}") {
			out = append(out, k)
		}
	}
	return out
}
