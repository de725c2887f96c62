package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// priority: high, normal, low and none are accepted; anything else is 422
// invalid_priority; a non-normal priority is part of the idempotent
// request's meaning.
func TestPriority(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"high", "normal", "low", ""} {
		body := map[string]any{"to": []string{"13800138000"}, "content": "code 1234"}
		if p != "" {
			body["priority"] = p
		}
		h.mustAccept(t, acmeKey, body)
	}
	for _, p := range []any{"urgent", "HIGH", 1} {
		r := h.post(t, acmeKey, map[string]any{"to": []string{"13800138000"}, "content": "x", "priority": p})
		if p == 1 {
			expectErr(t, r, 400, CodeMalformedJSON)
			continue
		}
		if e := expectErr(t, r, 422, CodeInvalidPriority); !strings.Contains(e.Message, `"priority"`) {
			t.Fatalf("message %q does not name the field", e.Message)
		}
	}
	// "normal" and no priority mean the same request; "high" another one.
	one := map[string]any{"to": []string{"13800138000"}, "content": "same"}
	first := h.mustAccept(t, acmeKey, one, IdempotencyKeyHeader, "p1")
	normal := map[string]any{"to": []string{"13800138000"}, "content": "same", "priority": "normal"}
	r := h.post(t, acmeKey, normal, IdempotencyKeyHeader, "p1")
	if r.status != 202 || r.header.Get(IdempotentReplayedHeader) != "true" || !strings.Contains(string(r.body), first.ID) {
		t.Fatalf("normal replay: %d %s", r.status, r.body)
	}
	high := map[string]any{"to": []string{"13800138000"}, "content": "same", "priority": "high"}
	expectErr(t, h.post(t, acmeKey, high, IdempotencyKeyHeader, "p1"), 409, CodeIdempotencyConflict)
}

// max_requests_per_sec: a burst above the limit gets 429 rate_limited
// with Retry-After ≥ 1; an idempotent replay of an accepted request is
// answered even while the limit refuses new ones.
func TestRateLimited(t *testing.T) {
	h := newHarness(t, func(su *setup) { su.tenants[0].Limits.MaxRequestsPerSec = 2 })
	first := h.mustAccept(t, acmeKey, sendOne, IdempotencyKeyHeader, "r1")
	later := map[string]any{"to": []string{"13800138000"}, "content": "later"}
	var limited response
	refusedKey := ""
	for i := 0; refusedKey == ""; i++ {
		if i == 100 {
			t.Fatal("never rate limited")
		}
		k := "r2-" + strconv.Itoa(i)
		if r := h.post(t, acmeKey, later, IdempotencyKeyHeader, k); r.status == http.StatusTooManyRequests {
			limited, refusedKey = r, k
		}
	}
	e := expectErr(t, limited, 429, CodeRateLimited)
	if secs, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After %q", limited.header.Get("Retry-After"))
	}
	if !strings.Contains(e.Message, "2 requests per second") {
		t.Fatalf("message %q", e.Message)
	}
	// The replay is not refused (nor counted).
	r := h.post(t, acmeKey, sendOne, IdempotencyKeyHeader, "r1")
	if r.status != 202 || r.header.Get(IdempotentReplayedHeader) != "true" || !strings.Contains(string(r.body), first.ID) {
		t.Fatalf("replay while rate limited: %d %s", r.status, r.body)
	}
	// The refused request released its key: it is accepted later.
	testenv.WaitFor(t, 5*time.Second, "the refused request accepted later", func() bool {
		r := h.post(t, acmeKey, later, IdempotencyKeyHeader, refusedKey)
		return r.status == 202 && r.header.Get(IdempotentReplayedHeader) == ""
	})
	// beta has no limit: never refused.
	for range 5 {
		h.mustAccept(t, betaKey, sendOne)
	}
}

// max_segments_per_day: a request whose segments would exceed the day's
// quota is refused whole (429 quota_exceeded naming the limit and the
// day, Retry-After until the next day), a replay is not charged twice,
// and a request the store refused gives its quota back.
func TestQuotaExceeded(t *testing.T) {
	env := testenv.Redis(t)
	// The store refuses more than one recipient: a create that fails with
	// nothing stored.
	h := newHarnessWith(t, env, store.Options{Prefix: env.Prefix, MaxRecipients: 1}, func(su *setup) {
		su.tenants[0].Limits.MaxSegmentsPerDay = 3
	})
	two := map[string]any{"to": []string{"13800138000", "13800138001"}, "content": "x"}
	if r := h.post(t, acmeKey, two); r.status != 500 {
		t.Fatalf("create the store refuses: %d %s", r.status, r.body)
	}
	h.mustAccept(t, acmeKey, sendOne, IdempotencyKeyHeader, "q1")
	h.post(t, acmeKey, sendOne, IdempotencyKeyHeader, "q1") // replay: not charged
	h.mustAccept(t, acmeKey, sendOne)
	long := map[string]any{"to": []string{"13800138000"}, "content": strings.Repeat("长", 100)} // 2 segments
	r := h.post(t, acmeKey, long)
	e := expectErr(t, r, 429, CodeQuotaExceeded)
	today := time.Now().In(h.registry.Snapshot().Location(h.auth(t, acmeKey).tenant)).Format(DateLayout)
	if !strings.Contains(e.Message, "3 segments a day") || !strings.Contains(e.Message, today) || !strings.Contains(e.Message, "Asia/Shanghai") {
		t.Fatalf("message %q", e.Message)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 || secs > 86400 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	h.mustAccept(t, acmeKey, sendOne) // the third segment of the day
	expectErr(t, h.post(t, acmeKey, sendOne), 429, CodeQuotaExceeded)
	// Other tenants are not affected.
	h.mustAccept(t, betaKey, sendOne)
}

// localDay counts days of the local calendar date; dayDate is its inverse.
func TestLocalDay(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 10, 17, 30, 0, 0, time.UTC) // 01:30 on the 11th in Shanghai
	if got, want := localDay(at.In(sh)), int(time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC).Unix()/86400); got != want {
		t.Fatalf("localDay %d, want %d", got, want)
	}
	if d := dayDate(localDay(at)); d != "2026-03-10" {
		t.Fatalf("dayDate %s", d)
	}
	if d := dayDate(0); d != "1970-01-01" {
		t.Fatalf("dayDate(0) %s", d)
	}
}
