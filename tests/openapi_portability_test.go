package tests

import (
	"net/http"
	"strings"
	"testing"
)

// coverPortabilityRoutes exercises the moved-number routes of the admin
// API on the gateway at base through client (which validates each answer
// against openapi.yaml), with each refusal the spec documents.
func coverPortabilityRoutes(t *testing.T, client *http.Client, base string) {
	t.Helper()
	call := func(c specCall, status int, code string) []byte {
		t.Helper()
		c.key = adminKey
		return c.expect(t, client, base, status, code)
	}
	csv := func(body string) specCall {
		return specCall{method: "POST", path: "/admin/portability", body: body, contentType: "text/csv"}
	}
	call(csv("number,carrier\n13800138000,cucc\n18912345678,cmcc\n"), 200, "")
	call(csv("13800138000,cucc\n13800138001,unicom\n"), 422, "invalid_csv")
	call(specCall{method: "POST", path: "/admin/portability", body: `{"number": "13800138000"}`}, 415, "unsupported_media_type")
	call(csv(strings.Repeat("13800138000,cucc\n", 4<<20)), 413, "body_too_large")
	call(specCall{method: "GET", path: "/admin/portability"}, 200, "")
	call(specCall{method: "GET", path: "/admin/portability/13800138000"}, 200, "")
	call(specCall{method: "GET", path: "/admin/portability/12345"}, 422, "invalid_number")
	call(specCall{method: "DELETE", path: "/admin/portability/13800138000"}, 204, "")
	call(specCall{method: "DELETE", path: "/admin/portability/13800138000"}, 404, "not_found")
	call(specCall{method: "GET", path: "/admin/portability/13800138000"}, 404, "not_found")
	call(specCall{method: "DELETE", path: "/admin/portability/12345"}, 422, "invalid_number")
	specCall{method: "GET", path: "/admin/portability", key: apiKey}.expect(t, client, base, 401, "unauthorized")
}
