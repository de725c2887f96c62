package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// stalePending writes what a first attempt with Idempotency-Key key left
// behind when its answer was lost: a pending reservation for request id
// whose create deadline has passed.
func stalePending(t *testing.T, h *harness, key string, body *SendRequest) (id string, v *validated) {
	t.Helper()
	v, e := h.srv.validate(h.auth(t, acmeKey), body)
	if e != nil {
		t.Fatal(e)
	}
	id = uuid.Must(uuid.NewV7()).String()
	past := time.Now().Add(-h.store.Options().ClockSkew - time.Second)
	if rec, err := h.store.ReserveIdempotency(context.Background(), "acme", digest(key), v.canonicalHash(), id, past); err != nil || rec != nil {
		t.Fatalf("reserve: %v %v", rec, err)
	}
	return id, v
}

// A first attempt stored its request but its answer (and the idempotency
// record) was lost: the retry with the same key finds the pending
// reservation, sees the request exists and replays it — no second request.
func TestIdempotentRetryAfterLostAnswerReplays(t *testing.T) {
	h := newHarness(t)
	body := &SendRequest{To: []string{"13800138000", "13900139000"}, Content: "hello", ClientRef: "r1"}
	id, v := stalePending(t, h, "k1", body)
	nr := store.NewRequest{ID: id, Tenant: "acme", Channel: v.channel, Recipients: v.to,
		Segments: []store.Segment{{Content: []byte("hello")}}}
	if err := h.store.CreateRequest(context.Background(), nr); err != nil {
		t.Fatal(err)
	}
	r := h.post(t, acmeKey, body, "Idempotency-Key", "k1")
	var got SendResponse
	r.json(t, &got)
	if r.status != http.StatusAccepted || got.ID != id || got.TotalSegments != 2 || got.ClientRef != "r1" ||
		r.header.Get(IdempotentReplayedHeader) != "true" || r.header.Get("Location") != "/sms/"+id {
		t.Fatalf("retry %d %s %v, want a replay of %s", r.status, r.body, r.header, id)
	}
	if n := h.pending(t, "cm1"); n != 2 {
		t.Fatalf("%d jobs queued, want the first attempt's 2", n)
	}
	// The replay is recorded: the next retry is an ordinary replay.
	again := h.post(t, acmeKey, body, "Idempotency-Key", "k1")
	if again.status != http.StatusAccepted || string(again.body) != string(r.body) {
		t.Fatalf("second retry %d %s", again.status, again.body)
	}
}

// A first attempt's create never took effect (its deadline passed): the
// retry voids the first id — a create of it still buffered in Redis can no
// longer run — takes the key over and queues the request once.
func TestIdempotentRetryAfterLostCreateTakesOver(t *testing.T) {
	h := newHarness(t)
	body := &SendRequest{To: []string{"13800138000"}, Content: "hello"}
	oldID, v := stalePending(t, h, "k2", body)
	r := h.post(t, acmeKey, body, "Idempotency-Key", "k2")
	var got SendResponse
	r.json(t, &got)
	if r.status != http.StatusAccepted || got.ID == oldID || r.header.Get(IdempotentReplayedHeader) != "" {
		t.Fatalf("retry %d %s, want a new request", r.status, r.body)
	}
	nr := store.NewRequest{ID: oldID, Tenant: "acme", Channel: v.channel, Recipients: v.to,
		Segments: []store.Segment{{Content: []byte("hello")}}}
	if err := h.store.CreateRequest(context.Background(), nr); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("late create of the first id: %v, want it voided", err)
	}
	if n := h.pending(t, "cm1"); n != 1 {
		t.Fatalf("%d jobs queued, want 1", n)
	}
	if again := h.post(t, acmeKey, body, "Idempotency-Key", "k2"); again.status != 202 || string(again.body) != string(r.body) {
		t.Fatalf("replay %d %s", again.status, again.body)
	}
}

// A reservation whose create may still run answers 409 in progress, with
// Retry-After covering the rest of its deadline.
func TestIdempotentRetryBeforeDeadlineInProgress(t *testing.T) {
	h := newHarness(t)
	body := &SendRequest{To: []string{"13800138000"}, Content: "hello"}
	v, _ := h.srv.validate(h.auth(t, acmeKey), body)
	dl := time.Now().Add(5 * time.Second)
	if _, err := h.store.ReserveIdempotency(context.Background(), "acme", digest("k3"), v.canonicalHash(), "x", dl); err != nil {
		t.Fatal(err)
	}
	r := h.post(t, acmeKey, body, "Idempotency-Key", "k3")
	secs, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusConflict || r.errBody(t).Code != CodeIdempotencyInProgress || secs < 5 {
		t.Fatalf("%d %s Retry-After %q", r.status, r.body, r.header.Get("Retry-After"))
	}
}

// newServerOn serves the API on a store with opts over rdb.
func newServerOn(t *testing.T, rdb redis.UniversalClient, opts store.Options, log zerolog.Logger) *httptest.Server {
	t.Helper()
	// The accounts live on a healthy Redis of their own: what is tested
	// is the store's Redis failing.
	su := testSetup()
	reg := newRegistry(t, testenv.Redis(t), su, zerolog.Nop())
	srv := New(Deps{Store: store.New(rdb, opts), Registry: reg, Config: su.cfg, Logger: log,
		Readiness: &fakeReadiness{ready: map[string]bool{"cm1": true, "cm2": true}}})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

// call sends one request with acme's key.
func call(t *testing.T, ts *httptest.Server, method, path, body string) response {
	t.Helper()
	var req *http.Request
	if body != "" {
		req, _ = http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, _ = http.NewRequest(method, ts.URL+path, nil)
	}
	req.Header.Set("Authorization", "Bearer "+acmeKey)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// A Redis that answers every data command with an error reply (here a
// replica whose master is gone: MASTERDOWN) is unavailable, not a bug: GET
// and DELETE answer 503 unavailable, POST 503 outcome_unknown with the id
// (its read-back failed too), never 500.
func TestRedisErrorRepliesAre503(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_ = ln.Close()
	env, _ := testenv.OwnRedis(t)
	env.Do(t, "CONFIG", "SET", "replica-serve-stale-data", "no")
	env.Do(t, "REPLICAOF", "127.0.0.1", port)
	ts := newServerOn(t, env.Client, store.Options{Prefix: env.Prefix, CreateDeadline: 200 * time.Millisecond, ClockSkew: 50 * time.Millisecond}, zerolog.Nop())
	id := "01234567-89ab-7def-8123-456789abcdef"
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		r := call(t, ts, m, "/sms/"+id, "")
		if r.status != 503 || r.errBody(t).Code != CodeUnavailable {
			t.Fatalf("%s with MASTERDOWN: %d %s", m, r.status, r.body)
		}
	}
	r := call(t, ts, http.MethodPost, "/sms", `{"to":["13800138000"],"content":"x"}`)
	e := r.errBody(t)
	if r.status != 503 || e.Code != CodeOutcomeUnknown || !validSMSID(e.ID) {
		t.Fatalf("POST with MASTERDOWN: %d %s", r.status, r.body)
	}
}
