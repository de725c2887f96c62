package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/smsbridge/smsbridge/internal/apispec"
)

// kinSpec is ../openapi.yaml loaded by kin-openapi, with every object
// schema closed (no undocumented property passes), once per test binary.
var kinSpec = sync.OnceValues(func() (*apispec.Spec, error) { return apispec.Load("../openapi.yaml") })

// specTransport validates every answer of an operation of the spec (status
// declared, headers, body schema) with kin-openapi, and reports a
// mismatch with t.Errorf.
type specTransport struct {
	t    testing.TB
	next http.RoundTripper
}

// client returns h's HTTP client, validating every answer against the
// spec.
func (h *harness) client(t testing.TB) *http.Client {
	return &http.Client{Transport: &specTransport{t: t, next: h.ts.Client().Transport}}
}

// RoundTrip sends req and validates the answer.
func (v *specTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return apispec.RoundTrip(v.next, req, v.check)
}

// check validates one answer; requests outside every operation (404 and
// 405 of the router) are not this check's business.
func (v *specTransport) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	spec, err := kinSpec()
	if err != nil {
		v.t.Errorf("openapi.yaml: %v", err)
		return
	}
	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := spec.Router.FindRoute(vreq)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		return
	}
	if err != nil {
		v.t.Errorf("openapi: %s %s: %v", req.Method, req.URL.Path, err)
		return
	}
	opts := &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true,
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	rin.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		msg := err.Error()
		if len(msg) > 2000 {
			msg = msg[:2000]
		}
		v.t.Errorf("openapi: %s %s: answer %d does not match the spec:\n%s\nbody: %.500s",
			req.Method, strings.TrimSpace(req.URL.RequestURI()), resp.StatusCode, msg, respBody)
	}
}
