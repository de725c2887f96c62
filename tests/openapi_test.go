package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/smsbridge/smsbridge/webhook"
)

// openAPI is ../openapi.yaml, loaded and checked once per test binary.
type openAPI struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	openAPIOnce sync.Once
	openAPIDoc  *openAPI
	openAPIErr  error
)

// loadOpenAPI returns the spec, failing t when it cannot be loaded or is
// not a valid OpenAPI document.
func loadOpenAPI(t testing.TB) *openAPI {
	t.Helper()
	openAPIOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromFile("../openapi.yaml")
		if err != nil {
			openAPIErr = fmt.Errorf("load openapi.yaml: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			openAPIErr = fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
			return
		}
		if !doc.IsOpenAPI31OrLater() {
			openAPIErr = fmt.Errorf("openapi.yaml is OpenAPI %s, want 3.1", doc.OpenAPI)
			return
		}
		closeObjects(doc)
		// The gateways under test listen on random ports: match routes on
		// the path alone, whatever the host in servers:.
		doc.Servers = nil
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			openAPIErr = fmt.Errorf("openapi.yaml router: %w", err)
			return
		}
		openAPIDoc = &openAPI{doc: doc, router: r}
	})
	if openAPIErr != nil {
		t.Fatal(openAPIErr)
	}
	return openAPIDoc
}

// closeObjects makes every object schema of doc that lists its properties
// refuse any other property (unless it already says what other properties
// may be, or combines schemas), so a field the service sends but the spec
// does not document is reported. Only the tests' in-memory copy changes:
// the published spec leaves objects open for forward compatibility.
func closeObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		combined := len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil && !combined {
			closed := false
			s.AdditionalProperties.Has = &closed
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, x := range group {
				walk(x)
			}
		}
	}
	content := func(c openapi3.Content) {
		for _, mt := range c {
			if mt != nil {
				walk(mt.Schema)
			}
		}
	}
	operation := func(o *openapi3.Operation) {
		if o.RequestBody != nil && o.RequestBody.Value != nil {
			content(o.RequestBody.Value.Content)
		}
		for _, r := range o.Responses.Map() {
			if r.Value != nil {
				content(r.Value.Content)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
	for _, r := range doc.Components.Responses {
		if r.Value != nil {
			content(r.Value.Content)
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, o := range item.Operations() {
			operation(o)
		}
	}
	for _, item := range doc.Webhooks {
		for _, o := range item.Operations() {
			operation(o)
		}
	}
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
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
	}
	out := req.Clone(req.Context())
	if reqBody != nil {
		out.Body = io.NopCloser(bytes.NewReader(reqBody))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := v.next.RoundTrip(out)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		return resp, err
	}
	v.check(req, reqBody, resp, respBody)
	return resp, nil
}

// check validates one exchange.
func (v *validatingTransport) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	v.t.Helper()
	ctx := context.Background()
	shown := req.Method + " " + req.URL.Path
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))

	route, params, err := v.spec.router.FindRoute(vreq)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		v.cov.record(covMethodNotAllowed, resp.StatusCode)
		v.checkOutside(shown, resp, respBody, http.StatusMethodNotAllowed, "MethodNotAllowed", "method_not_allowed")
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
// against the spec's webhooks: the operation is chosen by the body's type
// (sms.status, sms.mo); headers (signature, event id and type) and body
// must match it, and the event id and type headers must repeat the body's.
// It returns the webhook name ("" when none matches).
func validateWebhook(t testing.TB, req *http.Request, body []byte) string {
	t.Helper()
	spec := loadOpenAPI(t)
	var head struct{ ID, Type string }
	if err := json.Unmarshal(body, &head); err != nil {
		t.Errorf("openapi: webhook body is not JSON: %v", err)
		return ""
	}
	item := spec.doc.Webhooks[head.Type]
	if item == nil || item.Post == nil {
		t.Errorf("openapi: webhook of type %q is not in the spec's webhooks", head.Type)
		return ""
	}
	if got := req.Header.Get(webhook.EventTypeHeader); got != head.Type {
		t.Errorf("openapi: webhook %s: %s %q differs from the body's type", head.Type, webhook.EventTypeHeader, got)
	}
	if got := req.Header.Get(webhook.EventIDHeader); got != head.ID {
		t.Errorf("openapi: webhook %s: %s %q differs from the body's id %q", head.Type, webhook.EventIDHeader, got, head.ID)
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route := &routers.Route{Spec: spec.doc, Path: req.URL.Path, PathItem: item, Method: http.MethodPost, Operation: item.Post}
	in := &openapi3filter.RequestValidationInput{
		Request: vreq, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerPresent},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("openapi: webhook %s does not match the spec:\n%v\nbody: %.500s", head.Type, err, body)
	}
	return head.Type
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
