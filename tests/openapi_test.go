package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/apispec"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/webhook"
)

// openAPI is ../openapi.yaml, loaded and checked once per test binary
// (see apispec.Load).
type openAPI struct {
	doc    *openapi3.T
	router routers.Router
}

var loadSpec = sync.OnceValues(func() (*apispec.Spec, error) { return apispec.Load("../openapi.yaml") })

// loadOpenAPI returns the spec, failing t when it cannot be loaded or is
// not a valid OpenAPI 3.1 document.
func loadOpenAPI(t testing.TB) *openAPI {
	t.Helper()
	spec, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return &openAPI{doc: spec.Doc, router: spec.Router}
}

// methodsOf returns the methods the spec documents for the path item
// matching path, sorted and comma-separated as in an Allow header.
func (o *openAPI) methodsOf(path string) string {
	segs := strings.Split(path, "/")
	for tmpl, item := range o.doc.Paths.Map() {
		tsegs := strings.Split(tmpl, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		match := true
		for i, ts := range tsegs {
			if !(strings.HasPrefix(ts, "{") && strings.HasSuffix(ts, "}") && segs[i] != "") && ts != segs[i] {
				match = false
				break
			}
		}
		if match {
			var methods []string
			for m := range item.Operations() {
				methods = append(methods, m)
			}
			sort.Strings(methods)
			return strings.Join(methods, ", ")
		}
	}
	return ""
}

// bearerPresent is the spec's security check: a Bearer token is sent.
// Whether it is the right key is the service's business.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	tok, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return errors.New("no Bearer token")
	}
	return nil
}

// specCoverage records which operations of the spec were seen with which
// status codes (webhooks with the status the receiver answered).
type specCoverage struct {
	mu   sync.Mutex
	seen map[string]map[int]bool // operation key ("GET /sms/{id}", "webhook sms.mo") → statuses
}

func newSpecCoverage() *specCoverage {
	return &specCoverage{seen: map[string]map[int]bool{}}
}

func (c *specCoverage) record(op string, status int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[op] == nil {
		c.seen[op] = map[int]bool{}
	}
	c.seen[op][status] = true
}

// statuses returns the statuses seen for op, sorted.
func (c *specCoverage) statuses(op string) []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for s := range c.seen[op] {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// Operation keys used by specCoverage for answers outside any operation.
const (
	covMethodNotAllowed = "405 method not allowed"
	covRouteNotFound    = "404 no such route"
)

// validatingTransport checks every request and response going through it
// against openapi.yaml and reports each mismatch with t.Errorf:
//   - the response status is declared for the operation (405 and
//     route_not_found 404 for requests outside every operation), its
//     Content-Type is one the spec lists and its body matches the schema
//     (error bodies included);
//   - a request the spec refuses (schema, parameters, missing Bearer key)
//     must be refused by the service with a 4xx.
type validatingTransport struct {
	t    testing.TB
	spec *openAPI
	next http.RoundTripper
	cov  *specCoverage
}

// newValidatingClient returns an HTTP client whose every exchange is
// validated against openapi.yaml; cov (may be nil) records what was seen.
func newValidatingClient(t testing.TB, cov *specCoverage) *http.Client {
	return &http.Client{Transport: &validatingTransport{t: t, spec: loadOpenAPI(t), next: http.DefaultTransport, cov: cov}}
}

// RoundTrip sends req and validates the exchange.
func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return apispec.RoundTrip(v.next, req, v.check)
}

// check validates one exchange.
func (v *validatingTransport) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	v.t.Helper()
	ctx := context.Background()
	shown := req.Method + " " + req.URL.Path
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))

	// info.description: "Every response carries X-Request-Id: the
	// client's value (1..128 visible ASCII characters) echoed, or a
	// generated one."
	sent, got := req.Header.Get("X-Request-Id"), resp.Header.Get("X-Request-Id")
	switch {
	case got == "":
		v.t.Errorf("openapi: %s: answer %d has no X-Request-Id", shown, resp.StatusCode)
	case visibleASCII(sent, 128) && got != sent:
		v.t.Errorf("openapi: %s: X-Request-Id %q sent, %q answered", shown, sent, got)
	}
	route, params, err := v.spec.router.FindRoute(vreq)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		v.cov.record(covMethodNotAllowed, resp.StatusCode)
		v.checkOutside(shown, resp, respBody, http.StatusMethodNotAllowed, "MethodNotAllowed", "method_not_allowed")
		allow := strings.Split(resp.Header.Get("Allow"), ",")
		for i := range allow {
			allow[i] = strings.TrimSpace(allow[i])
		}
		sort.Strings(allow)
		if want := v.spec.methodsOf(req.URL.Path); strings.Join(allow, ", ") != want {
			v.t.Errorf("openapi: %s: 405 Allow %q, the spec's methods are %q", shown, resp.Header.Get("Allow"), want)
		}
		return
	case errors.Is(err, routers.ErrPathNotFound):
		v.cov.record(covRouteNotFound, resp.StatusCode)
		v.checkOutside(shown, resp, respBody, http.StatusNotFound, "NotFound", "route_not_found")
		return
	case err != nil:
		v.t.Errorf("openapi: %s: no operation in the spec: %v", shown, err)
		return
	}
	op := req.Method + " " + route.Path
	shown = op + " (" + req.URL.RequestURI() + ")"
	v.cov.record(op, resp.StatusCode)

	opts := &openapi3filter.Options{AuthenticationFunc: bearerPresent, MultiError: true, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
		v.t.Errorf("openapi: %s: the spec refuses this request but the service answered %d:\n%v", shown, resp.StatusCode, reqErr)
	}
	// The response check reads the request again.
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	rin.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		v.t.Errorf("openapi: %s: answer %d does not match the spec:\n%v\nbody: %.500s", shown, resp.StatusCode, err, respBody)
	}
}

// visibleASCII tells whether s is 1..maxLen visible ASCII characters.
func visibleASCII(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// checkOutside validates an answer to a request no operation of the spec
// describes: the status the router gives (405 / 404) and the error body of
// components.responses[respName] with the given code.
func (v *validatingTransport) checkOutside(shown string, resp *http.Response, body []byte, wantStatus int, respName, wantCode string) {
	v.t.Helper()
	if resp.StatusCode != wantStatus {
		v.t.Errorf("openapi: %s is outside every operation of the spec but answered %d, want %d", shown, resp.StatusCode, wantStatus)
		return
	}
	ref := v.spec.doc.Components.Responses[respName]
	if ref == nil || ref.Value == nil {
		v.t.Errorf("openapi: components.responses.%s missing", respName)
		return
	}
	mt := ref.Value.Content.Get(resp.Header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil {
		v.t.Errorf("openapi: %s: %d Content-Type %q not in components.responses.%s", shown, resp.StatusCode, resp.Header.Get("Content-Type"), respName)
		return
	}
	var val any
	if err := json.Unmarshal(body, &val); err != nil {
		v.t.Errorf("openapi: %s: %d body is not JSON: %v", shown, resp.StatusCode, err)
		return
	}
	if err := mt.Schema.Value.VisitJSON(val, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
		v.t.Errorf("openapi: %s: %d body does not match components.responses.%s:\n%v", shown, resp.StatusCode, respName, err)
		return
	}
	if m, _ := val.(map[string]any); m["code"] != wantCode {
		v.t.Errorf("openapi: %s: code %v, want %s", shown, m["code"], wantCode)
	}
}

// validateWebhook checks one webhook POST received from the gateway
// against the spec's webhooks: an object body is one event, whose type
// (sms.status, sms.mo) chooses the operation, and whose id and type the
// event id and type headers must repeat; an array body is a batch
// (sms.batch), whose elements must all have the type in the event type
// header, whose length the event count header must give, and which has no
// event id header. Headers (signature included) and body must match the
// operation. It returns the webhook name ("" when none matches).
func validateWebhook(t testing.TB, req *http.Request, body []byte) string {
	t.Helper()
	spec := loadOpenAPI(t)
	type head struct{ ID, Type string }
	var name string
	var batch []head
	if err := json.Unmarshal(body, &batch); err == nil {
		name = "sms.batch"
		for _, h := range batch {
			if got := req.Header.Get(webhook.EventTypeHeader); got != h.Type {
				t.Errorf("openapi: webhook sms.batch: %s %q differs from element %s's type %q", webhook.EventTypeHeader, got, h.ID, h.Type)
			}
		}
		if got := req.Header.Get(webhook.EventCountHeader); got != strconv.Itoa(len(batch)) {
			t.Errorf("openapi: webhook sms.batch: %s %q for %d elements", webhook.EventCountHeader, got, len(batch))
		}
		if got := req.Header.Get(webhook.EventIDHeader); got != "" {
			t.Errorf("openapi: webhook sms.batch has %s %q", webhook.EventIDHeader, got)
		}
	} else {
		var one head
		if err := json.Unmarshal(body, &one); err != nil {
			t.Errorf("openapi: webhook body is neither an event nor an array of events: %v", err)
			return ""
		}
		name = one.Type
		if got := req.Header.Get(webhook.EventTypeHeader); got != one.Type {
			t.Errorf("openapi: webhook %s: %s %q differs from the body's type", one.Type, webhook.EventTypeHeader, got)
		}
		if got := req.Header.Get(webhook.EventIDHeader); got != one.ID {
			t.Errorf("openapi: webhook %s: %s %q differs from the body's id %q", one.Type, webhook.EventIDHeader, got, one.ID)
		}
		if got := req.Header.Get(webhook.EventCountHeader); got != "" {
			t.Errorf("openapi: webhook %s: a one-event POST has %s %q", one.Type, webhook.EventCountHeader, got)
		}
	}
	item := spec.doc.Webhooks[name]
	if item == nil || item.Post == nil {
		t.Errorf("openapi: webhook %q is not in the spec's webhooks", name)
		return ""
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route := &routers.Route{Spec: spec.doc, Path: req.URL.Path, PathItem: item, Method: http.MethodPost, Operation: item.Post}
	in := &openapi3filter.RequestValidationInput{
		Request: vreq, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerPresent},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("openapi: webhook %s does not match the spec:\n%v\nbody: %.500s", name, err, body)
	}
	return name
}

// specOperations lists every operation of the spec as coverage keys.
func specOperations(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	for name := range doc.Webhooks {
		out = append(out, "webhook "+name)
	}
	sort.Strings(out)
	return out
}

// specCall is one request of TestOpenAPICoversEveryRoute.
type specCall struct {
	method, path string
	// key is the Bearer token ("" = no Authorization header).
	key string
	// body is sent as is with contentType (default application/json).
	body        string
	contentType string
	header      map[string]string
}

// do sends c through client and returns the status, body and headers.
func (c specCall) do(t *testing.T, client *http.Client, base string) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if c.body != "" {
		rd = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, base+c.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.body != "" {
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// expect sends c and fails unless it is answered with status (and, when
// code is set, that error code).
func (c specCall) expect(t *testing.T, client *http.Client, base string, status int, code string) []byte {
	t.Helper()
	got, body, _ := c.do(t, client, base)
	if got != status {
		t.Fatalf("%s %s: %d %s, want %d", c.method, c.path, got, body, status)
	}
	if code != "" {
		var e struct{ Code string }
		if err := json.Unmarshal(body, &e); err != nil || e.Code != code {
			t.Fatalf("%s %s: body %s, want code %s", c.method, c.path, body, code)
		}
	}
	return body
}

// jsonBody marshals v for a specCall.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// urlPath escapes one path segment.
func urlPath(s string) string { return url.PathEscape(s) }

// adminKey is http.admin_key of TestOpenAPICoversEveryRoute's gateway.
const adminKey = "e2e-admin-key-0123456789"

// Every operation of openapi.yaml (paths and webhooks) is exercised at
// least once against a real gateway, through the validating client, with
// the refusals the spec documents: each answer and each webhook body must
// match the spec, and an operation never exercised fails the test.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	spec := loadOpenAPI(t)
	env := testenv.Redis(t)
	// Reports are held back so the request can be cancelled while its
	// segments wait for them.
	sim := newSim(t, 0, func(c *ismgsim.Config) { c.ReportDelay = time.Minute })
	tenantHook := newReceiver(t)  // the tenant's callback: sms.mo
	requestHook := newReceiver(t) // the request's callback_url: 410 Gone until replayed
	requestHook.setGone(true)
	cov := newSpecCoverage()
	tenantHook.setCoverage(cov)
	requestHook.setCoverage(cov)
	base := startGateway(t, gwConfig{
		RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(),
		Callback: tenantHook.URL(), AdminKey: adminKey,
		WebhookHosts: []string{"127.0.0.1"}, // the receivers; anything else is callback_url_forbidden
	})
	client := newValidatingClient(t, cov)
	call := func(c specCall, status int, code string) []byte {
		t.Helper()
		return c.expect(t, client, base, status, code)
	}

	// Operations endpoints.
	call(specCall{method: "GET", path: "/healthz"}, 200, "")
	testenv.WaitFor(t, 10*time.Second, "GET /readyz answers 200", func() bool {
		code, _, _ := specCall{method: "GET", path: "/readyz"}.do(t, client, base)
		return code == http.StatusOK
	})
	if m := call(specCall{method: "GET", path: "/metrics"}, 200, ""); !bytes.Contains(m, []byte("smsbridge_")) {
		t.Fatalf("GET /metrics has no smsbridge_ series")
	}

	// Refusals of POST /sms; nothing is stored.
	one := jsonBody(t, map[string]any{"to": []string{"13800138000"}, "content": "x"})
	call(specCall{method: "POST", path: "/sms", body: one}, 401, "unauthorized")
	call(specCall{method: "POST", path: "/sms", key: "not-a-key", body: one}, 401, "unauthorized")
	call(specCall{method: "PUT", path: "/sms", key: apiKey, body: one}, 405, "method_not_allowed")
	call(specCall{method: "PATCH", path: "/sms/" + uuid.NewString(), key: apiKey}, 405, "method_not_allowed")
	call(specCall{method: "POST", path: "/healthz"}, 405, "method_not_allowed")
	call(specCall{method: "GET", path: "/nope", key: apiKey}, 404, "route_not_found")
	call(specCall{method: "POST", path: "/sms", key: apiKey, body: "to=13800138000", contentType: "text/plain"}, 415, "unsupported_media_type")
	call(specCall{method: "POST", path: "/sms", key: apiKey, body: `{"to": [`}, 400, "malformed_json")
	call(specCall{method: "POST", path: "/sms", key: apiKey, body: `{"to":["13800138000"],"content":"x","cotnent":"y"}`}, 400, "unknown_field")
	call(specCall{method: "POST", path: "/sms", key: apiKey, body: one, header: map[string]string{"Idempotency-Key": "two words"}}, 400, "invalid_idempotency_key")
	call(specCall{method: "POST", path: "/sms", key: apiKey, body: `{"to":["13800138000"],"content":"` + strings.Repeat("a", 2<<20) + `"}`}, 413, "body_too_large")
	call(specCall{method: "POST", path: "/sms", key: apiKey, body: `{"to":[],"content":"x"}`}, 422, "to_empty")
	call(specCall{method: "POST", path: "/sms", key: apiKey, body: `{"to":["12345"],"content":"x"}`}, 422, "invalid_number")
	for _, tc := range []struct {
		fields map[string]any
		code   string
	}{
		{map[string]any{"to": numbers(0, 1001)}, "too_many_recipients"},
		{map[string]any{"content": ""}, "content_empty"},
		{map[string]any{"content": strings.Repeat("长", 67*10+1)}, "content_too_long"},
		{map[string]any{"content": "中文", "encoding": "ascii"}, "content_not_encodable"},
		{map[string]any{"encoding": "ebcdic"}, "invalid_encoding"},
		{map[string]any{"ext": "12a"}, "invalid_ext"},
		{map[string]any{"callback_url": "ftp://example.com/hook"}, "invalid_callback_url"},
		{map[string]any{"callback_url": "http://10.0.0.1/hook"}, "callback_url_forbidden"},
		{map[string]any{"client_ref": strings.Repeat("r", 65)}, "invalid_client_ref"},
		{map[string]any{"channel": "nope"}, "unknown_channel"},
	} {
		fields := map[string]any{"to": []string{"13800138000"}, "content": "x"}
		for k, v := range tc.fields {
			fields[k] = v
		}
		call(specCall{method: "POST", path: "/sms", key: apiKey, body: jsonBody(t, fields)}, 422, tc.code)
	}

	// A request with its own callback_url, replayed by Idempotency-Key.
	send := specCall{method: "POST", path: "/sms", key: apiKey,
		body: jsonBody(t, map[string]any{
			"to": []string{"13600000001", "+8613600000002"}, "content": strings.Repeat("取消", 40),
			"client_ref": "spec-1", "callback_url": requestHook.URL(),
		}),
		header: map[string]string{"Idempotency-Key": "spec-cover-1", "X-Request-Id": "spec-request-1"},
	}
	code, first, hdr := send.do(t, client, base)
	if code != 202 {
		t.Fatalf("POST /sms: %d %s", code, first)
	}
	var acc accepted
	if err := json.Unmarshal(first, &acc); err != nil {
		t.Fatal(err)
	}
	if hdr.Get("Location") != "/sms/"+acc.ID {
		t.Fatalf("202 Location %q, want /sms/%s", hdr.Get("Location"), acc.ID)
	}
	code, again, hdr := send.do(t, client, base)
	if code != 202 || string(again) != string(first) || hdr.Get("Idempotent-Replayed") != "true" ||
		hdr.Get("X-Request-Id") != "spec-request-1" || hdr.Get("Location") != "/sms/"+acc.ID {
		t.Fatalf("idempotent replay: %d %s (headers %v), first answer %s", code, again, hdr, first)
	}
	conflict := send
	conflict.body = jsonBody(t, map[string]any{"to": []string{"13600000001"}, "content": "other"})
	call(conflict, 409, "idempotency_conflict")
	if acc.Recipients != 2 || acc.TotalSegments != 4 {
		t.Fatalf("202 body %s", first)
	}

	// GET /sms/{id}.
	missing := "/sms/" + uuid.NewString()
	call(specCall{method: "GET", path: missing, key: apiKey}, 404, "not_found")
	call(specCall{method: "GET", path: "/sms/not-a-uuid", key: apiKey}, 404, "not_found")
	call(specCall{method: "GET", path: "/sms/" + acc.ID}, 401, "unauthorized")
	status := func() string {
		var st smsStatus
		if err := json.Unmarshal(call(specCall{method: "GET", path: "/sms/" + acc.ID, key: apiKey}, 200, ""), &st); err != nil {
			t.Fatal(err)
		}
		return st.Status
	}
	testenv.WaitFor(t, 10*time.Second, "request submitted", func() bool { return status() == "submitted" })

	// DELETE /sms/{id}: CMPP_CANCEL of the 4 submitted segments, then
	// nothing is left to cancel.
	var cancelled struct {
		CancelResults []struct{ Success bool } `json:"cancel_results"`
	}
	if err := json.Unmarshal(call(specCall{method: "DELETE", path: "/sms/" + acc.ID, key: apiKey}, 200, ""), &cancelled); err != nil {
		t.Fatal(err)
	}
	if len(cancelled.CancelResults) != 4 {
		t.Fatalf("DELETE: %d cancel results, want 4", len(cancelled.CancelResults))
	}
	testenv.WaitFor(t, 10*time.Second, "request cancelled", func() bool { return status() == "cancelled" })
	call(specCall{method: "DELETE", path: "/sms/" + acc.ID, key: apiKey}, 409, "already_final")
	call(specCall{method: "DELETE", path: missing, key: apiKey}, 404, "not_found")
	call(specCall{method: "DELETE", path: "/sms/" + acc.ID}, 401, "unauthorized")

	// sms.mo: an MO to the channel's service code plus "1" goes to the
	// default tenant's callback.
	if err := sim.InjectMO(t.Context(), ismgsim.MO{SPID: spID, From: "13800138000", To: srcID + "1", Text: "退订"}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "sms.mo webhook", func() bool { return len(tenantHook.moEvents()) == 1 })
	if mo := tenantHook.moEvents()[0].Data; mo.Tenant != "acme" || mo.Ext != "1" || mo.Content != "退订" || mo.From != "13800138000" {
		t.Fatalf("sms.mo data %+v", mo)
	}

	// Admin: the two sms.status events answered 410 are dead letters.
	list := "/admin/dead-letters?channel=default"
	call(specCall{method: "GET", path: list}, 401, "unauthorized")
	call(specCall{method: "GET", path: list, key: apiKey}, 401, "unauthorized")
	call(specCall{method: "GET", path: "/admin/dead-letters", key: adminKey}, 400, "invalid_parameter")
	call(specCall{method: "GET", path: list + "&limit=0", key: adminKey}, 400, "invalid_parameter")
	call(specCall{method: "GET", path: "/admin/dead-letters?channel=nope", key: adminKey}, 422, "unknown_channel")
	var dead struct {
		Events []struct {
			ID          string `json:"id"`
			Type        string `json:"type"`
			RequestID   string `json:"request_id"`
			CallbackURL string `json:"callback_url"`
			Attempts    int    `json:"attempts"`
		} `json:"events"`
	}
	testenv.WaitFor(t, 10*time.Second, "2 dead letters", func() bool {
		if err := json.Unmarshal(call(specCall{method: "GET", path: list + "&offset=0&limit=10", key: adminKey}, 200, ""), &dead); err != nil {
			t.Fatal(err)
		}
		return len(dead.Events) == 2
	})
	for _, ev := range dead.Events {
		if ev.Type != "sms.status" || ev.RequestID != acc.ID || ev.CallbackURL != requestHook.URL() || ev.Attempts != 1 {
			t.Fatalf("dead letter %+v", ev)
		}
	}
	replay := "/admin/dead-letters/default/" + urlPath(dead.Events[0].ID) + "/replay"
	call(specCall{method: "POST", path: replay}, 401, "unauthorized")
	call(specCall{method: "POST", path: "/admin/dead-letters/default/no-such-event/replay", key: adminKey}, 404, "not_found")
	call(specCall{method: "POST", path: "/admin/dead-letters/nope/" + urlPath(dead.Events[0].ID) + "/replay", key: adminKey}, 422, "unknown_channel")
	requestHook.setGone(false)
	call(specCall{method: "POST", path: replay, key: adminKey}, 200, "")
	testenv.WaitFor(t, 10*time.Second, "replayed sms.status accepted", func() bool { return len(requestHook.statusFor(acc.ID)) == 1 })
	if ev := requestHook.statusFor(acc.ID)[0]; ev.ID != dead.Events[0].ID || ev.Data.Status != "cancelled" || ev.Data.ClientRef != "spec-1" {
		t.Fatalf("replayed event %+v", ev)
	}

	// The account routes of the admin API.
	coverAdminRoutes(t, client, base)
	coverPortabilityRoutes(t, client, base)

	// A gateway without admin key whose ISMG never answers (a listener
	// that accepts nothing): not ready, and the admin API answers 404.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Close() })
	other := startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix + "-silent", SimAddr: silent.Addr().String()})
	var ready struct {
		Status   string          `json:"status"`
		Channels map[string]bool `json:"channels"`
	}
	if err := json.Unmarshal(specCall{method: "GET", path: "/readyz"}.expect(t, client, other, 503, ""), &ready); err != nil {
		t.Fatal(err)
	}
	if ready.Status != "not_ready" || ready.Channels["default"] {
		t.Fatalf("readyz of a gateway without ISMG: %+v", ready)
	}
	specCall{method: "GET", path: list, key: adminKey}.expect(t, client, other, 404, "not_found")

	// sms.batch: a gateway (its own keys and simulator) whose tenant has
	// webhook_batch_max sends both recipients' statuses in arrays.
	batchEnv := testenv.Redis(t)
	batchSim := newSim(t, 0, nil)
	batchHook := newReceiver(t)
	batchHook.setCoverage(cov)
	batchBase := startGateway(t, gwConfig{
		RedisAddr: batchEnv.Addr, Prefix: batchEnv.Prefix, SimAddr: batchSim.Addr(), Callback: batchHook.URL(), WebhookBatchMax: 10,
	})
	var batchAcc accepted
	batchSend := specCall{method: "POST", path: "/sms", key: apiKey, body: jsonBody(t, map[string]any{"to": []string{"13600000003", "13600000004"}, "content": "batch"})}
	if err := json.Unmarshal(batchSend.expect(t, client, batchBase, 202, ""), &batchAcc); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 15*time.Second, "sms.batch webhooks", func() bool { return len(batchHook.statusFor(batchAcc.ID)) == 2 })

	// Every operation was exercised, each with a success at least once,
	// and the answers outside every operation too.
	for _, op := range specOperations(spec.doc) {
		seen := cov.statuses(op)
		ok := false
		for _, s := range seen {
			ok = ok || (s >= 200 && s < 300)
		}
		if !ok {
			t.Errorf("operation %s was not exercised with a 2xx answer (statuses seen: %v)", op, seen)
		}
		t.Logf("%-55s %v", op, seen)
	}
	for _, op := range []string{covMethodNotAllowed, covRouteNotFound} {
		if len(cov.statuses(op)) == 0 {
			t.Errorf("%s was not exercised", op)
		}
	}
}
