package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// DELETE /sms/{id} on submitted segments sends CMPP_CANCEL: the simulator
// cancels them (their reports are never sent) and the request ends
// cancelled, with one webhook per recipient.
func TestCancelSubmittedSegments(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, func(c *ismgsim.Config) { c.ReportDelay = time.Minute })
	rcv := newReceiver(t)
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Callback: rcv.URL()})}
	acc := c.send([]string{"13600000001", "13600000002"}, strings.Repeat("取消", 40)) // 2 segments each
	c.waitStatus(acc.ID, 10*time.Second, "submitted")

	code, body := c.do("DELETE", "/sms/"+acc.ID, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	var res struct {
		Status        string `json:"status"`
		CancelResults []struct {
			MsgID   string `json:"msg_id"`
			Success bool   `json:"success"`
		} `json:"cancel_results"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.CancelResults) != 4 {
		t.Fatalf("cancel results: %s", body)
	}
	for _, r := range res.CancelResults {
		if !r.Success {
			t.Fatalf("CMPP_CANCEL of %s failed: %s", r.MsgID, body)
		}
	}
	c.waitStatus(acc.ID, 10*time.Second, "cancelled")
	if n := sim.Counts()[spID].ReportsCancelled; n != 4 {
		t.Fatalf("simulator cancelled %d reports, want 4", n)
	}
	testenv.WaitFor(t, 10*time.Second, "2 cancelled webhooks", func() bool {
		evs := rcv.statusFor(acc.ID)
		return len(evs) == 2 && evs[0].Data.Status == "cancelled" && evs[1].Data.Status == "cancelled"
	})
	// A second DELETE finds nothing left to cancel.
	if code, body := c.do("DELETE", "/sms/"+acc.ID, nil, nil); code != http.StatusConflict {
		t.Fatalf("second DELETE: %d %s", code, body)
	}
}

// Bad requests get the precise 4xx with a JSON {code, message} body and
// queue nothing; an idempotent retry replays, a different body conflicts.
func TestRejectionsAndIdempotency(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()})}
	long := strings.Repeat("长", 67*10+1) // 11 segments > max_segments 10
	cases := []struct {
		body any
		code int
		want string
	}{
		{map[string]any{"to": []string{}, "content": "x"}, 422, "to_empty"},
		{map[string]any{"to": []string{"12345"}, "content": "x"}, 422, "invalid_number"},
		{map[string]any{"to": []string{"13800138000"}, "content": long}, 422, "content_too_long"},
		{map[string]any{"to": []string{"13800138000"}, "content": "x", "channel": "nope"}, 422, "unknown_channel"},
		{map[string]any{"to": []string{"13800138000"}, "content": "x", "encoding": "ebcdic"}, 422, "invalid_encoding"},
	}
	for _, tc := range cases {
		code, body := c.do("POST", "/sms", tc.body, nil)
		var e struct{ Code, Message string }
		_ = json.Unmarshal(body, &e)
		if code != tc.code || e.Code != tc.want || e.Message == "" {
			t.Errorf("got %d %s, want %d %s", code, body, tc.code, tc.want)
		}
	}
	// Malformed JSON and an oversized body, sent raw.
	for _, raw := range []struct {
		body string
		code int
		want string
	}{
		{`{"to": [`, 400, "malformed_json"},
		{`{"to":["13800138000"],"content":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "body_too_large"},
	} {
		req, _ := http.NewRequest("POST", c.base+"/sms", strings.NewReader(raw.body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != raw.code || !strings.Contains(string(body), raw.want) {
			t.Errorf("raw body: got %d %s, want %d %s", resp.StatusCode, body, raw.code, raw.want)
		}
	}
	if len(sim.Received()) != 0 {
		t.Fatalf("rejected requests reached the ISMG")
	}
	keys, err := env.Client.Keys(t.Context(), "*"+env.Prefix+":*:q*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if n, _ := env.Client.LLen(t.Context(), k).Result(); n != 0 {
			t.Fatalf("queue %s holds %d jobs after rejections", k, n)
		}
	}

	hdr := map[string]string{"Idempotency-Key": "order-42"}
	body := map[string]any{"to": []string{"13500000001"}, "content": "once"}
	code1, first := c.do("POST", "/sms", body, hdr)
	code2, again := c.do("POST", "/sms", body, hdr)
	if code1 != 202 || code2 != 202 || string(first) != string(again) {
		t.Fatalf("replay: %d %s / %d %s", code1, first, code2, again)
	}
	body["content"] = "different"
	if code, b := c.do("POST", "/sms", body, hdr); code != 409 || !strings.Contains(string(b), "idempotency_conflict") {
		t.Fatalf("conflict: %d %s", code, b)
	}
	var acc accepted
	_ = json.Unmarshal(first, &acc)
	c.waitStatus(acc.ID, 10*time.Second, "delivered")
	if n := len(sim.Received()); n != 1 {
		t.Fatalf("idempotent retries sent %d SUBMITs, want 1", n)
	}
}

// GET /metrics exposes the documented series, read through the real API.
func TestMetricsExposed(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()})}
	c.waitStatus(c.send([]string{"13400000001"}, "metrics").ID, 10*time.Second, "delivered")
	// The counters are incremented after the store writes that make the
	// request delivered, so a scrape right after may miss them: poll.
	want := []string{
		`smsbridge_queue_depth{channel="default",state="pending"} 0`,
		`smsbridge_submits_total{channel="default",result="0"} 1`,
		`smsbridge_link_state{channel="default",link="0",state="ready"} 1`,
		`smsbridge_window_in_use{channel="default",link="0"}`,
		`smsbridge_reports_total{channel="default",outcome="matched",stat="DELIVRD"} 1`,
		`smsbridge_http_request_duration_seconds_bucket`,
		`smsbridge_accepted_segments_total{channel="default",ingress="http"} 1`,
	}
	var missing []string
	defer func() {
		if len(missing) > 0 {
			t.Logf("metrics lack %s", strings.Join(missing, ", "))
		}
	}()
	testenv.WaitFor(t, 5*time.Second, "every documented series on /metrics", func() bool {
		resp, err := c.client().Get(c.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, series := range want {
			if !strings.Contains(string(b), series) {
				missing = append(missing, series)
			}
		}
		return len(missing) == 0
	})
}
