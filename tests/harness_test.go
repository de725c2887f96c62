package tests

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

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/gateway"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/webhook"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	apiKey        = "e2e-key-0123456789"
	webhookSecret = "e2e-webhook-secret"
	spID          = "900001"
	spSecret      = "888888"
	srcID         = "1065800001"
)

// newSim starts a simulator with the test account (rate per second, 0 =
// unlimited) and closes it with the test.
func newSim(t *testing.T, rate int, tweak func(*ismgsim.Config)) *ismgsim.Server {
	t.Helper()
	cfg := ismgsim.Config{
		Accounts:    []ismgsim.Account{{SPID: spID, Secret: spSecret, MaxSubmitsPerSec: rate}},
		ReportDelay: 20 * time.Millisecond,
		MaxReceived: 200000,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	sim, err := ismgsim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

// receiver is a webhook endpoint that validates every POST against the
// spec's webhooks (openapi.yaml), verifies signatures and records every
// delivery, of one event or a batch (a JSON array: each element counts);
// failFirst makes it answer 500 to the first N attempts of each event (a
// batch while any of its events is within them), gone 410 Gone to every
// event.
type receiver struct {
	srv *httptest.Server
	t   *testing.T

	mu        sync.Mutex
	failFirst int
	gone      bool
	cov       *specCoverage                  // webhooks seen, when set
	attempts  map[string]int                 // event id → POSTs seen
	status    map[string]webhook.StatusEvent // event id → accepted body
	mo        []webhook.MOEvent
	badSigs   int
	posts     int // POSTs answered 2xx
	batches   int // of which arrays
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, attempts: map[string]int{}, status: map[string]webhook.StatusEvent{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	name := validateWebhook(r.t, req, body)
	if err := webhook.Verify(webhookSecret, req.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		r.mu.Lock()
		r.badSigs++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var events []json.RawMessage
	batch := json.Unmarshal(body, &events) == nil
	if !batch {
		events = []json.RawMessage{body}
	}
	heads := make([]struct{ ID, Type string }, len(events))
	for i, ev := range events {
		if err := json.Unmarshal(ev, &heads[i]); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	retry := false
	for _, h := range heads {
		r.attempts[h.ID]++
		retry = retry || r.attempts[h.ID] <= r.failFirst
	}
	if r.gone {
		r.cov.record("webhook "+name, http.StatusGone)
		http.Error(w, "gone", http.StatusGone)
		return
	}
	if retry {
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	r.cov.record("webhook "+name, http.StatusNoContent)
	r.posts++
	if batch {
		r.batches++
	}
	for i, h := range heads {
		switch h.Type {
		case webhook.TypeStatus:
			var ev webhook.StatusEvent
			if err := json.Unmarshal(events[i], &ev); err != nil {
				r.t.Errorf("bad sms.status body: %v", err)
			}
			if _, dup := r.status[ev.ID]; dup {
				r.t.Errorf("event %s accepted twice", ev.ID)
			}
			r.status[ev.ID] = ev
		case webhook.TypeMO:
			var ev webhook.MOEvent
			if err := json.Unmarshal(events[i], &ev); err != nil {
				r.t.Errorf("bad sms.mo body: %v", err)
			}
			r.mo = append(r.mo, ev)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// postCounts returns the POSTs answered 2xx and how many were batches.
func (r *receiver) postCounts() (posts, batches int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts, r.batches
}

// setGone makes the receiver answer 410 Gone (dead-letter at once) to
// every event, or stop doing so.
func (r *receiver) setGone(gone bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone = gone
}

// setCoverage records every webhook received in cov.
func (r *receiver) setCoverage(cov *specCoverage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cov = cov
}

// moEvents returns the sms.mo events accepted so far.
func (r *receiver) moEvents() []webhook.MOEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhook.MOEvent(nil), r.mo...)
}

// statusFor returns the accepted sms.status events of request id.
func (r *receiver) statusFor(id string) []webhook.StatusEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []webhook.StatusEvent
	for _, ev := range r.status {
		if ev.Data.RequestID == id {
			out = append(out, ev)
		}
	}
	return out
}

// gwConfig is the gateway configuration used by the tests, as YAML so the
// real loader (defaults, validation) runs.
type gwConfig struct {
	RedisAddr, Prefix, SimAddr, Callback string
	// AdminKey enables the admin endpoints (http.admin_key) when set.
	AdminKey string
	// WebhookBatchMax is the tenant's webhook_batch_max.
	WebhookBatchMax int
	// WebhookHosts is the tenant's webhook_hosts allowlist (none: any).
	WebhookHosts        []string
	Rate, Links, Window int
	LeaseTTL            string
	Version             string
	// MaxRecoveries is queue.max_recoveries (0: the default, 5).
	MaxRecoveries int
	// RedisTimeout is redis.timeout (default 3s).
	RedisTimeout string
	// MaxLinks is the channel's max_links (0: no cluster limit);
	// SlotLease is queue.link_slot_lease (default 15s).
	MaxLinks  int
	SlotLease string
}

func (c gwConfig) yaml() []byte {
	if c.Links == 0 {
		c.Links = 2
	}
	if c.Window == 0 {
		c.Window = 16
	}
	if c.LeaseTTL == "" {
		c.LeaseTTL = "30s"
	}
	if c.Version == "" {
		c.Version = "3.0"
	}
	if c.MaxRecoveries == 0 {
		c.MaxRecoveries = 5
	}
	if c.RedisTimeout == "" {
		c.RedisTimeout = "3s"
	}
	if c.SlotLease == "" {
		c.SlotLease = "15s"
	}
	sum := sha256.Sum256([]byte(apiKey))
	hosts, _ := json.Marshal(c.WebhookHosts) // a JSON list is a YAML flow list
	return []byte(fmt.Sprintf(`
http: {addr: "127.0.0.1:0", admin_key: %q}
redis: {addr: %q, prefix: %q, timeout: %s}
log: {level: warn}
shutdown_timeout: 10s
channels:
  - {name: default, addr: %q, version: %q, sp_id: %q, secret: %q, src_id: %q, service_id: TEST,
     links: %d, max_links: %d, window: %d, max_submits_per_sec: %d, response_timeout: 5s}
tenants:
  - {name: acme, key_sha256: %s, callback_url: %q, webhook_secret: %q, channels: [default], default: true,
     webhook_batch_max: %d, webhook_hosts: %s}
webhook: {initial_backoff: 50ms, max_backoff: 200ms, timeout: 5s, allow_private_networks: true}
queue: {lease_ttl: %s, max_recoveries: %d, link_slot_lease: %s}
`, c.AdminKey, c.RedisAddr, c.Prefix, c.RedisTimeout, c.SimAddr, c.Version, spID, spSecret, srcID, c.Links, c.MaxLinks, c.Window, c.Rate,
		hex.EncodeToString(sum[:]), c.Callback, webhookSecret, c.WebhookBatchMax, hosts, c.LeaseTTL, c.MaxRecoveries, c.SlotLease))
}

// startGateway runs the gateway in-process until the test ends.
func startGateway(t *testing.T, c gwConfig) string {
	t.Helper()
	cfg, err := config.Parse(c.yaml(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return startGatewayConfig(t, cfg)
}

// startGatewayConfig runs a gateway on cfg in-process until the test ends
// and returns its base URL.
func startGatewayConfig(t *testing.T, cfg *config.Config) string {
	t.Helper()
	return "http://" + runGateway(t, cfg).Addr()
}

// runGateway runs a gateway on cfg in-process until the test ends.
func runGateway(t *testing.T, cfg *config.Config) *gateway.Gateway {
	t.Helper()
	gw, err := gateway.New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), gateway.Options{Version: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return gw
}

// api is a small client of the public HTTP API.
type api struct {
	t    *testing.T
	base string
	// key is the tenant's API key ("" = apiKey).
	key string
}

func (a api) do(method, path string, body any, hdr map[string]string) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	key := a.key
	if key == "" {
		key = apiKey
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// client returns an HTTP client that validates every request and answer
// against openapi.yaml (see validatingTransport).
func (a api) client() *http.Client { return newValidatingClient(a.t, nil) }

// accepted is the 202 body of POST /sms.
type accepted struct {
	ID                   string `json:"id"`
	Status               string `json:"status"`
	Recipients           int    `json:"recipients"`
	SegmentsPerRecipient int    `json:"segments_per_recipient"`
	TotalSegments        int    `json:"total_segments"`
}

func (a api) send(to []string, content string) accepted {
	a.t.Helper()
	code, body := a.do("POST", "/sms", map[string]any{"to": to, "content": content}, nil)
	if code != http.StatusAccepted {
		a.t.Fatalf("POST /sms: %d %s", code, body)
	}
	var acc accepted
	if err := json.Unmarshal(body, &acc); err != nil {
		a.t.Fatal(err)
	}
	return acc
}

// smsStatus is the part of GET /sms/{id} the tests read.
type smsStatus struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Recipients []struct {
		To        string `json:"to"`
		Status    string `json:"status"`
		ErrorCode string `json:"error_code"`
		Segments  []struct {
			Number int    `json:"number"`
			Status string `json:"status"`
			MsgID  string `json:"msg_id"`
			Stat   string `json:"stat"`
		} `json:"segments"`
	} `json:"recipients"`
}

func (a api) get(id string) smsStatus {
	a.t.Helper()
	code, body := a.do("GET", "/sms/"+id, nil, nil)
	if code != http.StatusOK {
		a.t.Fatalf("GET /sms/%s: %d %s", id, code, body)
	}
	var st smsStatus
	if err := json.Unmarshal(body, &st); err != nil {
		a.t.Fatal(err)
	}
	return st
}

func (a api) waitStatus(id string, timeout time.Duration, want ...string) smsStatus {
	a.t.Helper()
	var st smsStatus
	testenv.WaitFor(a.t, timeout, "request "+id+" reaches "+strings.Join(want, "/"), func() bool {
		st = a.get(id)
		for _, w := range want {
			if st.Status == w {
				return true
			}
		}
		return false
	})
	return st
}

// numbers returns n distinct valid mobile numbers starting at base.
func numbers(base, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("138%08d", base+i)
	}
	return out
}
