// Package apispec loads openapi.yaml for the tests that check the HTTP
// API against it (api's handler tests and the end-to-end tests), so both
// read the spec the same way. Only tests import it.
package apispec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is openapi.yaml as the tests check against it.
type Spec struct {
	// Doc is the document, with every object schema closed (CloseObjects)
	// and no servers.
	Doc *openapi3.T
	// Router finds the operation of a request by path alone.
	Router routers.Router
}

// Load reads the spec at path, checks that it is a valid OpenAPI 3.1
// document, closes its object schemas and builds a router that matches
// routes on the path alone (the servers under test listen on random
// ports, whatever the spec's servers: say).
func Load(path string) (*Spec, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%s is not a valid OpenAPI document: %w", path, err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("%s is OpenAPI %s, want 3.1", path, doc.OpenAPI)
	}
	CloseObjects(doc)
	doc.Servers = nil
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("%s router: %w", path, err)
	}
	return &Spec{Doc: doc, Router: r}, nil
}

// CloseObjects makes every object schema of doc that lists its properties
// refuse any other property (unless it already says what other properties
// may be, or combines schemas), so a field the service sends but the spec
// does not document is reported. Only the tests' in-memory copy changes:
// the published spec leaves objects open for forward compatibility.
func CloseObjects(doc *openapi3.T) {
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

// Check is called by RoundTrip with the request sent, its body, the
// answer and the answer's body (both bodies read in full).
type Check func(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte)

// RoundTrip sends req through next with its body buffered, reads the
// answer's body, calls check with both and returns the answer with its
// body readable again: the body of a validating http.RoundTripper.
func RoundTrip(next http.RoundTripper, req *http.Request, check Check) (*http.Response, error) {
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
	resp, err := next.RoundTrip(out)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		return resp, err
	}
	check(req, reqBody, resp, respBody)
	return resp, nil
}
