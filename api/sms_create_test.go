package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/internal/msisdn"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestPostSMSAcceptedStoresRxSJobs(t *testing.T) {
	h := newHarness(t)
	text := chinese(100) // 100 UCS2 characters: 2 segments of ≤67
	body := map[string]any{
		"to":         []string{"+8613800138000", "13800138000", "8613900139000", " 008613700137000 ", "13600136000"},
		"content":    text,
		"client_ref": "order-42",
		"ext":        "99",
	}
	r := h.post(t, acmeKey, body)
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	var got SendResponse
	r.json(t, &got)
	// +8613800138000 and 13800138000 are the same number.
	want := SendResponse{ID: got.ID, Status: "queued", Channel: "cm1", Recipients: 4,
		SegmentsPerRecipient: 2, TotalSegments: 8, ClientRef: "order-42"}
	if got != want {
		t.Fatalf("response %+v, want %+v", got, want)
	}
	if !validSMSID(got.ID) {
		t.Fatalf("id %q is not a canonical UUID", got.ID)
	}
	if loc := r.header.Get("Location"); loc != "/sms/"+got.ID {
		t.Fatalf("Location %q", loc)
	}
	if n := h.pending(t, "cm1"); n != 8 {
		t.Fatalf("queue holds %d jobs, want R×S = 8", n)
	}
	req, err := h.store.GetRequest(context.Background(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	var nums []string
	for _, rc := range req.Recipients {
		nums = append(nums, rc.Number)
	}
	if strings.Join(nums, ",") != "13800138000,13900139000,13700137000,13600136000" {
		t.Fatalf("stored numbers %v: want normalised, de-duplicated, in order", nums)
	}
	if req.Tenant != "acme" || req.Channel != "cm1" || req.ClientRef != "order-42" || req.SrcExt != "99" ||
		req.CallbackURL != "https://acme.example/hook" || req.MsgFmt != content.FmtUCS2 {
		t.Fatalf("stored request %+v", req)
	}
	if c := counterValue(t, h.metrics.AcceptedSegments.WithLabelValues("cm1", "http")); c != 8 {
		t.Fatalf("accepted segments metric %v", c)
	}
	if c := counterValue(t, h.metrics.AcceptedRequests.WithLabelValues("cm1", "http")); c != 1 {
		t.Fatalf("accepted requests metric %v", c)
	}
	// One info line with ids and counts, no number or content.
	logs := h.logs.String()
	if !strings.Contains(logs, `"request_id":"`+got.ID+`"`) || !strings.Contains(logs, `"tenant":"acme"`) ||
		!strings.Contains(logs, `"total_segments":8`) {
		t.Fatalf("access log lacks fields: %s", logs)
	}
	if strings.Contains(logs, "13800138000") || strings.Contains(logs, "中") {
		t.Fatalf("numbers or content logged at info: %s", logs)
	}
}

func TestPostSMSDefaultsAndOptions(t *testing.T) {
	h := newHarness(t)
	// beta's default channel is its first (cm2); no tenant callback.
	got := h.mustAccept(t, betaKey, map[string]any{"to": []string{"13800138000"}, "content": "hello"})
	if got.Channel != "cm2" || got.SegmentsPerRecipient != 1 {
		t.Fatalf("%+v", got)
	}
	req, _ := h.store.GetRequest(context.Background(), got.ID)
	if req.CallbackURL != "" || req.MsgFmt != content.FmtASCII {
		t.Fatalf("stored %+v", req)
	}
	// Explicit channel, callback and encoding.
	got = h.mustAccept(t, betaKey, map[string]any{"to": []string{"13800138000"}, "content": "你好",
		"channel": "cm1", "callback_url": "http://beta.example/cb", "encoding": "gbk"},
		"Content-Type", "application/json; charset=UTF-8")
	req, _ = h.store.GetRequest(context.Background(), got.ID)
	if req.Channel != "cm1" || req.CallbackURL != "http://beta.example/cb" || req.MsgFmt != content.FmtGBK {
		t.Fatalf("stored %+v", req)
	}
	if h.pending(t, "cm1") != 1 || h.pending(t, "cm2") != 1 {
		t.Fatal("queues wrong")
	}
}

func TestPostSMSRejectedQueuesNothing(t *testing.T) {
	h := newHarness(t)
	ok := func() map[string]any { return map[string]any{"to": []string{"13800138000"}, "content": "hi"} }
	with := func(k string, v any) map[string]any {
		b := ok()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name   string
		key    string
		body   any
		hdr    []string
		status int
		code   Code
	}{
		{"no key", "", ok(), nil, 401, CodeUnauthorized},
		{"wrong key", "nope", ok(), nil, 401, CodeUnauthorized},
		{"basic auth", "", ok(), []string{"Authorization", "Basic YWNtZTp4"}, 401, CodeUnauthorized},
		{"admin key is no tenant key", adminKey, ok(), nil, 401, CodeUnauthorized},
		{"bad idempotency key", acmeKey, ok(), []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, CodeInvalidIdempotencyKey},
		{"text/plain", acmeKey, ok(), []string{"Content-Type", "text/plain"}, 415, CodeUnsupportedMediaType},
		{"no content type", acmeKey, ok(), []string{"Content-Type", ""}, 415, CodeUnsupportedMediaType},
		{"latin1 charset", acmeKey, ok(), []string{"Content-Type", "application/json; charset=latin1"}, 415, CodeUnsupportedMediaType},
		{"oversized", acmeKey, `{"to":["13800138000"],"content":"` + strings.Repeat("a", testMaxBody) + `"}`, nil, 413, CodeBodyTooLarge},
		{"malformed JSON", acmeKey, `{"to": ["13800138000"`, nil, 400, CodeMalformedJSON},
		{"syntax error", acmeKey, `{"to": [13800138000,]}`, nil, 400, CodeMalformedJSON},
		{"empty body", acmeKey, ``, nil, 400, CodeMalformedJSON},
		{"array body", acmeKey, `[1,2]`, nil, 400, CodeMalformedJSON},
		{"to is a string", acmeKey, `{"to":"13800138000","content":"hi"}`, nil, 400, CodeMalformedJSON},
		{"number as JSON number", acmeKey, `{"to":[13800138000],"content":"hi"}`, nil, 400, CodeMalformedJSON},
		{"two objects", acmeKey, `{"to":["13800138000"],"content":"hi"}{}`, nil, 400, CodeMalformedJSON},
		{"unknown field", acmeKey, with("cotnent", "x"), nil, 400, CodeUnknownField},
		{"missing to", acmeKey, with("to", nil), nil, 422, CodeToEmpty},
		{"empty to", acmeKey, with("to", []string{}), nil, 422, CodeToEmpty},
		{"short number", acmeKey, with("to", []string{"13800138000", "1380013800"}), nil, 422, CodeInvalidNumber},
		{"not mobile", acmeKey, with("to", []string{"23800138000"}), nil, 422, CodeInvalidNumber},
		{"letters", acmeKey, with("to", []string{"1380013800a"}), nil, 422, CodeInvalidNumber},
		{"other country", acmeKey, with("to", []string{"+14155550100"}), nil, 422, CodeInvalidNumber},
		{"+86 too short", acmeKey, with("to", []string{"+861380013800"}), nil, 422, CodeInvalidNumber},
		{"empty number", acmeKey, with("to", []string{""}), nil, 422, CodeInvalidNumber},
		{"1001 numbers", acmeKey, with("to", numbers(1001)), nil, 422, CodeTooManyRecipients},
		{"missing content", acmeKey, with("content", nil), nil, 422, CodeContentEmpty},
		{"empty content", acmeKey, with("content", ""), nil, 422, CodeContentEmpty},
		{"content over the cap", acmeKey, with("content", chinese(67*10+1)), nil, 422, CodeContentTooLong},
		{"ascii with Chinese", acmeKey, with("encoding", "ascii"), nil, 0, ""}, // placeholder replaced below
		{"bad encoding", acmeKey, with("encoding", "utf8"), nil, 422, CodeInvalidEncoding},
		{"ext letters", acmeKey, with("ext", "12a"), nil, 422, CodeInvalidExt},
		{"ext too long", acmeKey, with("ext", "12345678901234567890"), nil, 422, CodeInvalidExt},
		{"callback ftp", acmeKey, with("callback_url", "ftp://acme.example/x"), nil, 422, CodeInvalidCallbackURL},
		{"callback relative", acmeKey, with("callback_url", "/hook"), nil, 422, CodeInvalidCallbackURL},
		{"client_ref too long", acmeKey, with("client_ref", strings.Repeat("r", 65)), nil, 422, CodeInvalidClientRef},
		{"client_ref control", acmeKey, with("client_ref", "a\nb"), nil, 422, CodeInvalidClientRef},
		{"unknown channel", acmeKey, with("channel", "cm9"), nil, 422, CodeUnknownChannel},
		{"channel not allowed", acmeKey, with("channel", "cm2"), nil, 403, CodeChannelNotAllowed},
	}
	// ASCII cannot carry Chinese.
	for i := range cases {
		if cases[i].name == "ascii with Chinese" {
			b := with("encoding", "ascii")
			b["content"] = "你好"
			cases[i].body, cases[i].status, cases[i].code = b, 422, CodeContentNotEncodable
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.post(t, tc.key, tc.body, tc.hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tc.status)
			}
			if e := r.errBody(t); e.Code != tc.code {
				t.Fatalf("code %q (%s), want %q", e.Code, e.Message, tc.code)
			}
			if keys := h.dataKeys(t); len(keys) != 0 {
				t.Fatalf("refused request wrote to Redis: %v", keys)
			}
		})
	}
	if h.pending(t, "cm1") != 0 || h.pending(t, "cm2") != 0 {
		t.Fatal("something was queued")
	}
	// Exactly at the boundaries: 1000 numbers and 10 full segments pass.
	got := h.mustAccept(t, acmeKey, map[string]any{"to": numbers(1000), "content": chinese(67 * 10)})
	if got.Recipients != 1000 || got.SegmentsPerRecipient != 10 || h.pending(t, "cm1") != 10000 {
		t.Fatalf("boundary request %+v, pending %d", got, h.pending(t, "cm1"))
	}
}

// rawHTTP writes head (and then body, in the background) on a fresh TCP
// connection and returns the status line and headers of the answer. It
// never sends more than it is given, so a server that waits for the whole
// body hangs until the read deadline and the test fails.
func rawHTTP(t *testing.T, addr, head string, body func(w io.Writer)) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		if body != nil {
			body(conn) // write errors are expected once the server closes
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v (did the server wait for the whole body?)", err)
	}
	_ = resp.Body.Close()
	_ = conn.Close() // unblocks the body writer
	return resp
}

func TestPostSMSOversizedRefusedBeforeReading(t *testing.T) {
	h := newHarness(t)
	addr := strings.TrimPrefix(h.ts.URL, "http://")
	t.Run("Content-Length", func(t *testing.T) {
		// Announce 50 MB and send none of it: the answer must come at once.
		head := "POST /sms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + acmeKey +
			"\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
		resp := rawHTTP(t, addr, head, nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
			t.Fatalf("status %d, close %v (the rest of the body must not be read)", resp.StatusCode, resp.Close)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		// Send limit+1 bytes in chunks and never the final chunk.
		head := "POST /sms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + acmeKey +
			"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
		resp := rawHTTP(t, addr, head, func(w io.Writer) {
			chunk := strings.Repeat("a", 1024)
			for sent := 0; sent <= testMaxBody; sent += len(chunk) {
				if _, err := fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
					return
				}
			}
		})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("chunked via client", func(t *testing.T) {
		// An io.Reader of unknown length makes net/http send it chunked.
		pr, pw := io.Pipe()
		go func() {
			defer pw.Close()
			b := []byte(strings.Repeat("x", 1024))
			for i := 0; i < 4*testMaxBody/1024; i++ { // 4× the limit
				if _, err := pw.Write(b); err != nil {
					return
				}
			}
		}()
		r := h.post(t, acmeKey, pr)
		if r.status != http.StatusRequestEntityTooLarge || r.errBody(t).Code != CodeBodyTooLarge {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		_ = pr.Close()
	})
	if keys := h.dataKeys(t); len(keys) != 0 {
		t.Fatalf("oversized request wrote to Redis: %v", keys)
	}
}

func TestPostSMSIdempotency(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{"to": []string{"13800138000", "13900139000"}, "content": "hello", "client_ref": "a"}
	first := h.post(t, acmeKey, body, "Idempotency-Key", "order-1")
	if first.status != http.StatusAccepted || first.header.Get(IdempotentReplayedHeader) != "" {
		t.Fatalf("first %d %v", first.status, first.header)
	}
	// The same request spelt differently (prefix, explicit default
	// channel and encoding, field order) replays the first answer.
	same := `{"content":"hello","client_ref":"a","channel":"cm1","encoding":"auto","to":["+8613800138000","13900139000","13900139000"]}`
	again := h.post(t, acmeKey, same, "Idempotency-Key", "order-1")
	if again.status != http.StatusAccepted || string(again.body) != string(first.body) ||
		again.header.Get(IdempotentReplayedHeader) != "true" {
		t.Fatalf("replay %d %s %v, want %s", again.status, again.body, again.header, first.body)
	}
	if n := h.pending(t, "cm1"); n != 2 {
		t.Fatalf("replay queued again: %d jobs", n)
	}
	// Same key, other body: 409.
	body["content"] = "hello!"
	r := h.post(t, acmeKey, body, "Idempotency-Key", "order-1")
	if r.status != http.StatusConflict || r.errBody(t).Code != CodeIdempotencyConflict {
		t.Fatalf("conflict %d %s", r.status, r.body)
	}
	// Keys are per tenant: beta may use the same key.
	r = h.post(t, betaKey, body, "Idempotency-Key", "order-1", "Content-Type", "application/json")
	if r.status != http.StatusAccepted || r.header.Get(IdempotentReplayedHeader) != "" {
		t.Fatalf("other tenant %d %s", r.status, r.body)
	}
	// A refused request records nothing: the key stays usable.
	r = h.post(t, acmeKey, map[string]any{"to": []string{"1"}, "content": "x"}, "Idempotency-Key", "order-2")
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid %d", r.status)
	}
	good := map[string]any{"to": []string{"13800138000"}, "content": "x"}
	if r = h.post(t, acmeKey, good, "Idempotency-Key", "order-2"); r.status != http.StatusAccepted {
		t.Fatalf("after refused %d %s", r.status, r.body)
	}
	if n := h.pending(t, "cm1") + h.pending(t, "cm2"); n != 5 { // 2 + beta's 2 + 1
		t.Fatalf("pending %d, want 5", n)
	}
}

func TestPostSMSIdempotencyInProgress(t *testing.T) {
	h := newHarness(t)
	body := &SendRequest{To: []string{"13800138000"}, Content: "hello"}
	v, e := h.srv.validate(h.auth(t, acmeKey), body)
	if e != nil {
		t.Fatal(e)
	}
	// Another replica holds the reservation for this key and body.
	const id = "01234567-89ab-7def-8123-456789abcdef"
	rec, err := h.store.ReserveIdempotency(context.Background(), "acme", digest("k1"), v.canonicalHash(), id, time.Now().Add(time.Minute))
	if err != nil || rec != nil {
		t.Fatalf("reserve: %v %v", rec, err)
	}
	r := h.post(t, acmeKey, body, "Idempotency-Key", "k1")
	if r.status != http.StatusConflict || r.errBody(t).Code != CodeIdempotencyInProgress || r.header.Get("Retry-After") == "" {
		t.Fatalf("%d %s %v", r.status, r.body, r.header)
	}
	if h.pending(t, "cm1") != 0 {
		t.Fatal("queued while in progress")
	}
	// It completes; the duplicate now gets the stored answer.
	_, stored := sendResponse(v, id)
	if err := h.store.CompleteIdempotency(context.Background(), "acme", digest("k1"), v.canonicalHash(), 202, stored, id); err != nil {
		t.Fatal(err)
	}
	r = h.post(t, acmeKey, body, "Idempotency-Key", "k1")
	if r.status != 202 || string(r.body) != string(stored) || r.header.Get(IdempotentReplayedHeader) != "true" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestNormalizeNumber(t *testing.T) {
	cases := map[string]string{
		"13800138000":     "13800138000",
		"+8613800138000":  "13800138000",
		"8613800138000":   "13800138000",
		"008613800138000": "13800138000",
		" 13800138000 ":   "13800138000",
		"19912345678":     "19912345678",
		"13000000000":     "13000000000",
		"+8617012345678":  "17012345678",
		"0086 1380013800": "",
		"10012345678":     "", // 10x, 11x, 12x: not mobile ranges
		"11012345678":     "",
		"12345678901":     "",
		"+8612345678901":  "",
		"008610012345678": "",
		"+86 13800138000": "",
		"+8623800138000":  "",
		"138-0013-8000":   "",
		"1380013800":      "",
		"138001380001":    "",
		"8613800138":      "",
		"+1380013800":     "",
		"２３８００１３８０００":     "",
		"":                "",
	}
	for in, want := range cases {
		got, ok := msisdn.Normalize(in)
		if got != want || ok != (want != "") {
			t.Errorf("normalizeNumber(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	out, bad := normalizeNumbers([]string{"+8613800138000", "13900139000", "13800138000", "8613900139000"})
	if bad != nil || strings.Join(out, ",") != "13800138000,13900139000" {
		t.Fatalf("%v %v", out, bad)
	}
	if out, bad := normalizeNumbers([]string{"13800138000", "x", "13800138000", "y"}); out != nil || fmt.Sprint(bad) != "[1 3]" {
		t.Fatalf("out %v, bad indexes %v, want every one: [1 3]", out, bad)
	}
}

// An accepted request signals JobsQueued for its channel, so the sender of
// this process leases it at once; a refused one signals nothing.
func TestPostSMSSignalsJobsQueued(t *testing.T) {
	h := newHarness(t)
	if r := h.post(t, acmeKey, map[string]any{"to": []string{"13800138000"}}); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
		t.Fatalf("request without content: %d %s", r.status, r.body)
	}
	if testenv.Signalled(h.hub.Jobs("cm1")) {
		t.Fatal("a refused request signalled JobsQueued")
	}
	acc := h.mustAccept(t, acmeKey, map[string]any{"to": []string{"13800138000"}, "content": "hi"})
	if !testenv.Signalled(h.hub.Jobs(acc.Channel)) {
		t.Fatalf("accepted request on %s did not signal JobsQueued", acc.Channel)
	}
}
