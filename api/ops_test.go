package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t)
	if r := h.do(t, http.MethodGet, "/healthz", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
		t.Fatalf("healthz %d %s", r.status, r.body)
	}
	var rd ReadyResponse
	r := h.do(t, http.MethodGet, "/readyz", "", nil)
	r.json(t, &rd)
	if r.status != 200 || rd.Status != "ready" || rd.Redis != "ok" || !rd.Channels["cm1"] || !rd.Channels["cm2"] {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	// One channel without a logged-in link: 503 saying which.
	h.readiness.set("cm2", false)
	r = h.do(t, http.MethodGet, "/readyz", "", nil)
	rd = ReadyResponse{}
	r.json(t, &rd)
	if r.status != 503 || rd.Status != "not_ready" || rd.Redis != "ok" || !rd.Channels["cm1"] || rd.Channels["cm2"] {
		t.Fatalf("readyz with cm2 down %d %s", r.status, r.body)
	}
	// No link because the channel's max_links are held by other
	// replicas: said in detail, and the replica stays ready.
	h.readiness.mu.Lock()
	h.readiness.detail = map[string]string{"cm2": "no_link_slot"}
	h.readiness.mu.Unlock()
	r = h.do(t, http.MethodGet, "/readyz", "", nil)
	rd = ReadyResponse{}
	r.json(t, &rd)
	if r.status != 200 || rd.Status != "ready" || rd.Channels["cm2"] || rd.Detail["cm2"] != "no_link_slot" {
		t.Fatalf("readyz with cm2 without a link slot %d %s", r.status, r.body)
	}
	h.readiness.mu.Lock()
	h.readiness.detail = nil
	h.readiness.mu.Unlock()
	// A channel the sender does not report at all is not ready either.
	h.readiness.mu.Lock()
	delete(h.readiness.ready, "cm2")
	h.readiness.mu.Unlock()
	if r := h.do(t, http.MethodGet, "/readyz", "", nil); r.status != 503 {
		t.Fatalf("readyz with cm2 unknown %d %s", r.status, r.body)
	}
}

func TestReadyzRedisDown(t *testing.T) {
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	logs := &testenv.LogBuffer{}
	ts := newServerOn(t, rdb, store.Options{CreateDeadline: 200 * time.Millisecond, ClockSkew: 50 * time.Millisecond},
		zerolog.New(logs).Level(zerolog.InfoLevel))
	for range 2 {
		resp, err := ts.Client().Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The body says what is wrong without internal detail: no address,
		// no raw error.
		if resp.StatusCode != 503 || !strings.Contains(string(body), `"status":"not_ready"`) ||
			!strings.Contains(string(body), `"redis":"unavailable"`) || strings.Contains(string(body), "127.0.0.1") {
			t.Fatalf("readyz %d %s", resp.StatusCode, body)
		}
	}
	// The cause is logged once per change, at warn.
	if n := strings.Count(logs.String(), `"readyz: Redis not ready"`); n != 1 || !strings.Contains(logs.String(), addr) {
		t.Fatalf("%d warn lines, want 1 naming the cause:\n%s", n, logs.String())
	}
	// POST /sms answers 503, not a hang or a bare 500: Redis refused every
	// connection, and as go-redis retries may have sent the create before
	// the last refusal, the outcome is reported unknown, with the id.
	r := call(t, ts, http.MethodPost, "/sms", `{"to":["13800138000"],"content":"x"}`)
	if e := r.errBody(t); r.status != 503 || e.Code != CodeOutcomeUnknown || !validSMSID(e.ID) {
		t.Fatalf("POST with Redis down %d %s", r.status, r.body)
	}
}

// On Redis Cluster, readiness is decided by the master of each channel's
// slot: with that node dead, /readyz is not ready, whichever node a plain
// PING would have reached.
func TestReadyzClusterChannelMasterDown(t *testing.T) {
	env, procs := testenv.OwnCluster(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	logs := &testenv.LogBuffer{}
	ts := newServerOn(t, env.Client, store.Options{Prefix: env.Prefix}, zerolog.New(logs).Level(zerolog.InfoLevel))
	ready := func() (int, string) {
		resp, err := ts.Client().Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := ready(); code != 200 {
		t.Fatalf("readyz on a healthy cluster %d %s", code, body)
	}
	cc := env.Client.(*redis.ClusterClient)
	node, err := cc.MasterForKey(context.Background(), st.Keys().Queue("cm2"))
	if err != nil {
		t.Fatal(err)
	}
	killed := false
	for _, p := range procs {
		if p.Addr() == node.Options().Addr {
			p.Kill()
			killed = true
		}
	}
	if !killed {
		t.Fatalf("no process for the master %s of cm2", node.Options().Addr)
	}
	// Every probe sees it (a PING to a random node would pass 2 times in 3).
	for i := range 6 {
		code, body := ready()
		if code != 503 || !strings.Contains(body, `"redis":"unavailable"`) || strings.Contains(body, "127.0.0.1") {
			t.Fatalf("probe %d with cm2's master dead: %d %s", i, code, body)
		}
	}
	// The line names the first channel found on the dead master: cm2, or
	// cm1 when the random key prefix put both slots on that node.
	named := false
	for _, ch := range []string{"cm1", "cm2"} {
		n, err := cc.MasterForKey(context.Background(), st.Keys().Queue(ch))
		if err == nil && n.Options().Addr == node.Options().Addr && strings.Contains(logs.String(), "channel "+ch) {
			named = true
		}
	}
	if !named {
		t.Fatalf("the warn line does not name a channel of the dead master:\n%s", logs.String())
	}
}

func TestMetricsEndpoint(t *testing.T) {
	h := newHarness(t)
	h.mustAccept(t, acmeKey, map[string]any{"to": []string{"13800138000"}, "content": "x"})
	h.post(t, "", map[string]any{})
	h.do(t, http.MethodGet, "/sms/01234567-89ab-7def-8123-456789abcdef", acmeKey, nil)
	r := h.do(t, http.MethodGet, "/metrics", "", nil)
	text := string(r.body)
	for _, want := range []string{
		`smsbridge_http_request_duration_seconds_count{code="202",method="POST",route="/sms"} 1`,
		`smsbridge_http_request_duration_seconds_count{code="401",method="POST",route="/sms"} 1`,
		// Ids never become label values: the route pattern does.
		`smsbridge_http_request_duration_seconds_count{code="404",method="GET",route="/sms/:id"} 1`,
		`smsbridge_accepted_segments_total{channel="cm1",ingress="http"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("metrics lack %q:\n%s", want, grep(text, "smsbridge_"))
		}
	}
}

// grep returns the lines of s containing sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMiddleware(t *testing.T) {
	h := newHarness(t)
	h.srv.engine.GET("/test-panic", func(*gin.Context) { panic("boom") })

	// X-Request-Id: echoed when sane, generated otherwise.
	r := h.do(t, http.MethodGet, "/healthz", "", nil, "X-Request-Id", "abc-123")
	if r.header.Get(RequestIDHeader) != "abc-123" {
		t.Fatalf("not echoed: %v", r.header)
	}
	r = h.do(t, http.MethodGet, "/healthz", "", nil, "X-Request-Id", strings.Repeat("x", 200))
	if id := r.header.Get(RequestIDHeader); len(id) != 32 {
		t.Fatalf("generated id %q", id)
	}
	// A panic is a 500 JSON answer and an error log line; the server lives on.
	r = h.do(t, http.MethodGet, "/test-panic", "", nil, "X-Request-Id", "panic-1")
	if r.status != 500 || r.errBody(t).Code != CodeInternal {
		t.Fatalf("panic: %d %s", r.status, r.body)
	}
	if logs := h.logs.String(); !strings.Contains(grep(logs, "panic-1"), `"level":"error"`) || !strings.Contains(logs, "boom") {
		t.Fatalf("panic not logged: %s", logs)
	}
	if r := h.do(t, http.MethodGet, "/healthz", "", nil); r.status != 200 {
		t.Fatal("server died")
	}
	// Unknown route and method: JSON errors too.
	if r := h.do(t, http.MethodGet, "/nope", "", nil); r.status != 404 || r.errBody(t).Code != CodeRouteNotFound {
		t.Fatalf("404: %d %s", r.status, r.body)
	}
	if r := h.do(t, http.MethodPut, "/sms", acmeKey, nil); r.status != 405 || r.errBody(t).Code != CodeMethodNotAllowed {
		t.Fatalf("405: %d %s", r.status, r.body)
	}
}

func TestAdminDeadLetters(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// Produce an sms.status event (a cancelled recipient with a callback
	// URL) and dead-letter it as the dispatcher would.
	acc := h.mustAccept(t, acmeKey, map[string]any{"to": []string{"13800138000"}, "content": "x"})
	if r := h.do(t, http.MethodDelete, "/sms/"+acc.ID, acmeKey, nil); r.status != 200 {
		t.Fatalf("cancel %d", r.status)
	}
	evs, err := h.store.LeaseEvents(ctx, "cm1", 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v", evs, err)
	}
	if err := h.store.DeadLetter(ctx, "cm1", evs[0].ID, "HTTP 500"); err != nil {
		t.Fatal(err)
	}

	// Auth: tenant keys and no key are 401.
	for _, key := range []string{"", acmeKey} {
		if r := h.do(t, http.MethodGet, "/admin/dead-letters?channel=cm1", key, nil); r.status != 401 || r.errBody(t).Code != CodeUnauthorized {
			t.Fatalf("key %q: %d %s", key, r.status, r.body)
		}
	}
	r := h.do(t, http.MethodGet, "/admin/dead-letters?channel=cm1", adminKey, nil)
	var list DeadLetterList
	r.json(t, &list)
	if r.status != 200 || len(list.Events) != 1 || list.Limit != DefaultDeadLetterLimit {
		t.Fatalf("list %d %s", r.status, r.body)
	}
	ev := list.Events[0]
	if ev.ID != evs[0].ID || ev.Type != "sms.status" || ev.RequestID != acc.ID || ev.Tenant != "acme" ||
		ev.LastError != "HTTP 500" || ev.DeadAt == nil || ev.CallbackURL != "https://acme.example/hook" {
		t.Fatalf("event %+v", ev)
	}
	if r := h.do(t, http.MethodGet, "/admin/dead-letters?channel=cm1&offset=1", adminKey, nil); !strings.Contains(string(r.body), `"events":[]`) {
		t.Fatalf("offset 1: %s", r.body)
	}
	for q, code := range map[string]Code{
		"":                       CodeInvalidParam,
		"?channel=cm9":           CodeUnknownChannel,
		"?channel=cm1&limit=0":   CodeInvalidParam,
		"?channel=cm1&limit=501": CodeInvalidParam,
		"?channel=cm1&offset=-1": CodeInvalidParam,
		"?channel=cm1&offset=x":  CodeInvalidParam,
	} {
		if r := h.do(t, http.MethodGet, "/admin/dead-letters"+q, adminKey, nil); r.status < 400 || r.errBody(t).Code != code {
			t.Fatalf("%q: %d %s", q, r.status, r.body)
		}
	}

	// Replay: back in the ready queue, gone from the dead letters.
	path := "/admin/dead-letters/cm1/" + ev.ID + "/replay"
	r = h.do(t, http.MethodPost, path, adminKey, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"status":"queued"`) {
		t.Fatalf("replay %d %s", r.status, r.body)
	}
	st, _ := h.store.QueueDepth(ctx, "cm1")
	if st.EventsReady != 1 || st.EventsDead != 0 {
		t.Fatalf("after replay %+v", st)
	}
	if !testenv.Signalled(h.hub.Events("cm1")) {
		t.Fatal("replay did not signal EventsReady: the dispatcher waits for its next poll")
	}
	if r := h.do(t, http.MethodPost, path, adminKey, nil); r.status != 404 || r.errBody(t).Code != CodeNotFound {
		t.Fatalf("second replay %d %s", r.status, r.body)
	}
	if r := h.do(t, http.MethodPost, "/admin/dead-letters/cm9/x/replay", adminKey, nil); r.status != 422 {
		t.Fatalf("unknown channel %d", r.status)
	}
}

func TestAdminDisabledWithoutKey(t *testing.T) {
	h := newHarness(t, func(su *setup) { su.cfg.HTTP.AdminKey = "" })
	for _, key := range []string{"", adminKey, "anything"} {
		r := h.do(t, http.MethodGet, "/admin/dead-letters?channel=cm1", key, nil)
		if r.status != 404 || r.errBody(t).Code != CodeNotFound {
			t.Fatalf("key %q: %d %s", key, r.status, r.body)
		}
		if r := h.do(t, http.MethodPost, "/admin/dead-letters/cm1/e1/replay", key, nil); r.status != 404 {
			t.Fatalf("replay: %d", r.status)
		}
	}
}
