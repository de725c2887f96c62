package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// httpSeries returns the count lines of the request histogram in a
// /metrics text.
func httpSeries(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "smsbridge_http_request_duration_seconds_count{") {
			out = append(out, l)
		}
	}
	return out
}

// TestMetricsAndLogsBoundedForOddRequests reproduces the audit finding:
// every method a client invents became a label value and the method was
// logged as sent, so 250 methods made 263 series and one 500 KB method an
// 8.8 MB /metrics. Through the real HTTP server: 300 distinct odd methods,
// one 100 KB method and one 100 KB path.
func TestMetricsAndLogsBoundedForOddRequests(t *testing.T) {
	h := newHarness(t)
	h.srv.log = h.srv.log.Level(zerolog.DebugLevel) // the path is logged at debug only
	scrape := func() string {
		r := h.do(t, http.MethodGet, "/metrics", "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("/metrics %d", r.status)
		}
		return string(r.body)
	}
	scrape() // the scrape's own series exist from here on
	before := scrape()

	for i := range 300 {
		path := "/sms" // a route: 405
		if i%2 == 1 {
			path = fmt.Sprintf("/nope-%d", i) // no route: 404
		}
		method := fmt.Sprintf("ODD%03dMETHOD", i)
		if r := h.do(t, method, path, "", nil); r.status != http.StatusMethodNotAllowed && r.status != http.StatusNotFound {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
		}
	}
	huge := strings.Repeat("M", 100<<10)
	r := h.do(t, huge, "/healthz", "", nil)
	if r.status != http.StatusMethodNotAllowed || r.errBody(t).Code != CodeMethodNotAllowed || len(r.body) > 512 {
		t.Fatalf("100 KB method: %d, %d bytes of body", r.status, len(r.body))
	}
	r = h.do(t, http.MethodGet, "/"+strings.Repeat("p", 100<<10), "", nil)
	if r.status != http.StatusNotFound || r.errBody(t).Code != CodeRouteNotFound || len(r.body) > 512 {
		t.Fatalf("100 KB path: %d, %d bytes of body", r.status, len(r.body))
	}
	for _, m := range []string{http.MethodConnect, http.MethodTrace} {
		h.do(t, m, "/healthz", "", nil)
	}

	after := scrape()
	series := httpSeries(after)
	for _, want := range []string{
		`{code="405",method="other",route="unmatched"} 153`, // 150 odd, the 100 KB one, CONNECT, TRACE
		`{code="404",method="other",route="unmatched"} 150`,
		`{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(after, "smsbridge_http_request_duration_seconds_count"+want) {
			t.Errorf("metrics lack %s:\n%s", want, strings.Join(series, "\n"))
		}
	}
	if len(series) > 6 {
		t.Errorf("%d request series after 300 odd methods, want a handful:\n%s", len(series), strings.Join(series, "\n"))
	}
	// 2 new series × 15 lines of at most ~150 bytes, plus counters that
	// grew a digit: a few KB, never the 100 KB method again.
	if grew := len(after) - len(before); grew > 8<<10 {
		t.Errorf("/metrics grew by %d bytes (from %d)", grew, len(before))
	}
	if strings.Contains(after, "MMMM") || strings.Contains(after, "pppp") || strings.Contains(after, "ODD") {
		t.Error("a raw method or path is a label value")
	}

	// Every access log line is short, with the method and path clipped.
	lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
	if len(lines) < 304 {
		t.Fatalf("%d log lines, want one per request", len(lines))
	}
	var sawHuge, sawPath bool
	for _, l := range lines {
		if len(l) > 600 {
			t.Fatalf("log line of %d bytes: %.200s…", len(l), l)
		}
		sawHuge = sawHuge || strings.Contains(l, `"method":"`+strings.Repeat("M", MaxEchoBytes)+`…(102400 bytes)"`)
		sawPath = sawPath || strings.Contains(l, `"path":"/`+strings.Repeat("p", MaxEchoBytes-1)+`…(102401 bytes)"`)
	}
	if !sawHuge || !sawPath {
		t.Fatalf("no clipped method (%v) or path (%v) in the log:\n%s", sawHuge, sawPath, grep(h.logs.String(), "unmatched"))
	}
}

func TestClip(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"GET":                          "GET",
		strings.Repeat("a", 64):        strings.Repeat("a", 64),
		strings.Repeat("a", 65):        strings.Repeat("a", 64) + "…(65 bytes)",
		strings.Repeat("a", 63) + "中x": strings.Repeat("a", 63) + "…(67 bytes)", // never half a character
	} {
		if got := clip(in); got != want {
			t.Errorf("clip(%.20q…) = %q, want %q", in, got, want)
		}
	}
}

// TestErrorMessagesClipEchoedValues: a value the client chose is echoed in
// an error message at most MaxEchoBytes long.
func TestErrorMessagesClipEchoedValues(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("z", 20<<10) // under the test body limit of 32 KB
	for name, r := range map[string]response{
		"unknown field":   h.post(t, acmeKey, `{"to":["13800138000"],"content":"x","`+long+`":1}`),
		"unknown channel": h.post(t, acmeKey, `{"to":["13800138000"],"content":"x","channel":"`+long+`"}`),
		"admin channel":   h.do(t, http.MethodGet, "/admin/dead-letters?channel="+long, adminKey, nil),
		"admin event":     h.do(t, http.MethodPost, "/admin/dead-letters/cm1/"+long+"/replay", adminKey, nil),
	} {
		if r.status < 400 || r.status >= 500 || len(r.body) > 512 {
			t.Errorf("%s: %d, %d bytes: %.120s", name, r.status, len(r.body), r.body)
		}
		if e := r.errBody(t); !strings.Contains(e.Message, strings.Repeat("z", MaxEchoBytes-1)+"…(") {
			t.Errorf("%s: message %.120q does not show the clipped value", name, e.Message)
		}
	}
}
