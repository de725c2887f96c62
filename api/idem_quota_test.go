package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// Store options of the tests below: a create whose outcome is unknown
// answers once its short deadline (plus skew) has passed.
func shortDeadlines(env *testenv.RedisEnv) store.Options {
	return store.Options{Prefix: env.Prefix, CreateDeadline: 300 * time.Millisecond, ClockSkew: 50 * time.Millisecond}
}

// channelsDenied returns env seen through a Redis user that may use every
// key of the test but the channels' ({prefix:channel}…): the registry,
// idempotency records, quota and rate counters work, while create.lua and
// its read-back (resolve.lua) get NOPERM, so CreateRequest answers
// ErrOutcomeUnknown after the quota was taken. allow lifts the ban.
func channelsDenied(t *testing.T, env *testenv.RedisEnv) (denied *testenv.RedisEnv, allow func()) {
	t.Helper()
	env.Do(t, "ACL", "SETUSER", "quotafix", "reset", "on", ">quotafix-pass", "+@all", "allchannels",
		"~"+env.Prefix+":*", "~{"+env.Prefix+":_registry}*")
	c := redis.NewClient(&redis.Options{Addr: env.Addr, Username: "quotafix", Password: "quotafix-pass"})
	t.Cleanup(func() { _ = c.Close() })
	d := *env
	d.Client = c
	return &d, func() { env.Do(t, "ACL", "SETUSER", "quotafix", "allkeys") }
}

// quotaUsed is the sum of tenant's daily quota counters (every day: the
// test may straddle a midnight).
func quotaUsed(t *testing.T, env *testenv.RedisEnv, tenant string) int64 {
	t.Helper()
	var used int64
	for _, k := range env.Keys(t) {
		if !strings.Contains(k, ":quota:{"+tenant+"}:") {
			continue
		}
		v, _ := env.Get(t, k)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("quota counter %s = %q", k, v)
		}
		used += n
	}
	return used
}

// outcomeUnknown posts body (with headers hdr) and requires 503
// outcome_unknown; it returns the request id the answer names.
func outcomeUnknown(t *testing.T, h *harness, body any, hdr ...string) string {
	t.Helper()
	r := h.post(t, acmeKey, body, hdr...)
	e := r.errBody(t)
	if r.status != http.StatusServiceUnavailable || e.Code != CodeOutcomeUnknown || !validSMSID(e.ID) {
		t.Fatalf("first attempt %d %s, want 503 outcome_unknown", r.status, r.body)
	}
	return e.ID
}

// The review's case: a create whose outcome is unknown keeps its quota
// (the request may exist); the client retries with the same
// Idempotency-Key after the deadline, the retry finds the first request
// was not stored and takes the key over — and gives the first charge
// back, so the request uses its segments once. The quota is exactly the
// request's size: without the give-back the retry would be refused.
func TestIdempotentRetryGivesQuotaBack(t *testing.T) {
	own, _ := testenv.OwnRedis(t)
	env, allow := channelsDenied(t, own)
	h := newHarnessWith(t, env, shortDeadlines(own), func(su *setup) {
		su.tenants[0].Limits.MaxSegmentsPerDay = 2
	})
	body := &SendRequest{To: []string{"13800138000", "13900139000"}, Content: "hello"} // 2 segments
	firstID := outcomeUnknown(t, h, body, IdempotencyKeyHeader, "k1")
	if used := quotaUsed(t, own, "acme"); used != 2 {
		t.Fatalf("quota used %d after outcome_unknown, want 2 (the request may exist)", used)
	}
	allow()
	r := h.post(t, acmeKey, body, IdempotencyKeyHeader, "k1")
	var got SendResponse
	r.json(t, &got)
	if r.status != http.StatusAccepted || got.ID == firstID || got.TotalSegments != 2 || r.header.Get(IdempotentReplayedHeader) != "" {
		t.Fatalf("retry %d %s, want a new request accepted", r.status, r.body)
	}
	if used := quotaUsed(t, own, "acme"); used != 2 {
		t.Fatalf("quota used %d after the retry, want the request's 2 segments once", used)
	}
	// A replay is not charged, and the first id stays unknown.
	if again := h.post(t, acmeKey, body, IdempotencyKeyHeader, "k1"); again.status != http.StatusAccepted || string(again.body) != string(r.body) {
		t.Fatalf("replay %d %s", again.status, again.body)
	}
	if used := quotaUsed(t, own, "acme"); used != 2 {
		t.Fatalf("quota used %d after the replay, want 2", used)
	}
	if g := h.do(t, http.MethodGet, "/sms/"+firstID, acmeKey, nil); g.status != http.StatusNotFound {
		t.Fatalf("GET of the first id %d %s, want 404", g.status, g.body)
	}
	if n := h.pending(t, "cm1"); n != 2 {
		t.Fatalf("%d jobs queued, want 2", n)
	}
	expectErr(t, h.post(t, acmeKey, sendOne), http.StatusTooManyRequests, CodeQuotaExceeded)
}

// Without an Idempotency-Key nothing links a retry to the attempt whose
// outcome is unknown: that charge stays (the request may exist) and the
// retry is charged again.
func TestPlainRetryAfterOutcomeUnknownChargedAgain(t *testing.T) {
	own, _ := testenv.OwnRedis(t)
	env, allow := channelsDenied(t, own)
	h := newHarnessWith(t, env, shortDeadlines(own), func(su *setup) {
		su.tenants[0].Limits.MaxSegmentsPerDay = 4
	})
	body := &SendRequest{To: []string{"13800138000", "13900139000"}, Content: "hello"}
	outcomeUnknown(t, h, body)
	allow()
	h.mustAccept(t, acmeKey, body)
	if used := quotaUsed(t, own, "acme"); used != 4 {
		t.Fatalf("quota used %d, want 4: the unknown attempt's 2 and the retry's 2", used)
	}
	expectErr(t, h.post(t, acmeKey, sendOne), http.StatusTooManyRequests, CodeQuotaExceeded)
}

// A create certainly not stored gives its quota back once, whether the
// reservation noted it (released here) or not.
func TestIdempotentCreateFailedGivesQuotaBack(t *testing.T) {
	env := testenv.Redis(t)
	// The store refuses more than one recipient: nothing stored.
	h := newHarnessWith(t, env, store.Options{Prefix: env.Prefix, MaxRecipients: 1}, func(su *setup) {
		su.tenants[0].Limits.MaxSegmentsPerDay = 2
	})
	two := &SendRequest{To: []string{"13800138000", "13900139000"}, Content: "x"}
	for range 2 { // the key is released: the same key is new again
		if r := h.post(t, acmeKey, two, IdempotencyKeyHeader, "k1"); r.status != http.StatusInternalServerError {
			t.Fatalf("create the store refuses: %d %s", r.status, r.body)
		}
		if used := quotaUsed(t, env, "acme"); used != 0 {
			t.Fatalf("quota used %d, want 0", used)
		}
	}
	if env.Exists(t, h.store.Keys().Idempotency("acme", digest("k1"))) {
		t.Fatal("reservation of a create that failed left behind")
	}
}
