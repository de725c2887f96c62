package tests

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// coverAdminRoutes exercises every account route of the admin API on the
// gateway at base through client (which validates each answer against
// openapi.yaml): tenants, their keys and usage, channels, their queue
// drained and failed, with a refusal of each kind the spec documents.
func coverAdminRoutes(t *testing.T, client *http.Client, base string) {
	t.Helper()
	call := func(c specCall, status int, code string) []byte {
		t.Helper()
		c.key = adminKey
		return c.expect(t, client, base, status, code)
	}

	// Tenants.
	call(specCall{method: "GET", path: "/admin/tenants"}, 200, "")
	specCall{method: "GET", path: "/admin/tenants", key: apiKey}.expect(t, client, base, 401, "unauthorized")
	call(specCall{method: "POST", path: "/admin/tenants", body: `{"name": "spec", "colour": "red"}`}, 400, "unknown_field")
	call(specCall{method: "POST", path: "/admin/tenants", body: `{"name": "spec", "channels": [], "webhook_secret": "short"}`}, 422, "invalid_field")
	tenant := jsonBody(t, map[string]any{
		"name": "spec", "channels": []string{"default"}, "webhook_secret": "spec-webhook-secret-0123456789",
		"limits": map[string]any{"max_segments_per_day": 1000},
	})
	call(specCall{method: "POST", path: "/admin/tenants", body: tenant}, 201, "")
	call(specCall{method: "POST", path: "/admin/tenants", body: tenant}, 409, "conflict")
	call(specCall{method: "GET", path: "/admin/tenants/spec"}, 200, "")
	call(specCall{method: "GET", path: "/admin/tenants/nobody"}, 404, "not_found")
	call(specCall{method: "PATCH", path: "/admin/tenants/spec", body: `{"limits": {"max_requests_per_sec": 100}}`}, 200, "")
	call(specCall{method: "PATCH", path: "/admin/tenants/acme", body: `{"weight": 2}`}, 409, "managed_by_config")
	var key struct{ ID, Key string }
	if err := json.Unmarshal(call(specCall{method: "POST", path: "/admin/tenants/spec/keys"}, 201, ""), &key); err != nil {
		t.Fatal(err)
	}
	send := specCall{method: "POST", path: "/sms", key: key.Key, body: jsonBody(t, map[string]any{"to": []string{"13600000009"}, "content": "admin"})}
	testenv.WaitFor(t, 5*time.Second, "the new tenant's key authenticates", func() bool {
		code, _, _ := send.do(t, client, base)
		return code == http.StatusAccepted
	})
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	call(specCall{method: "GET", path: "/admin/tenants/spec/usage?from=" + today + "&to=" + today}, 200, "")
	call(specCall{method: "GET", path: "/admin/tenants/spec/usage?from=yesterday"}, 400, "invalid_parameter")
	call(specCall{method: "GET", path: "/admin/tenants/spec/routes"}, 200, "")
	call(specCall{method: "PUT", path: "/admin/tenants/spec/routes", body: `{"*": [{"default": 1}]}`}, 200, "")
	call(specCall{method: "PUT", path: "/admin/tenants/spec/routes", body: `{"cmcc": [{"nope": 1}]}`}, 422, "invalid_field")
	call(specCall{method: "PUT", path: "/admin/tenants/acme/routes", body: `{}`}, 409, "managed_by_config")
	call(specCall{method: "DELETE", path: "/admin/tenants/spec/keys/nope"}, 404, "not_found")
	call(specCall{method: "DELETE", path: "/admin/tenants/spec/keys/" + urlPath(key.ID)}, 204, "")
	call(specCall{method: "DELETE", path: "/admin/tenants/spec"}, 204, "")

	// Channels: "spare" points at a port nobody listens on, so what is
	// sent to it stays queued.
	call(specCall{method: "GET", path: "/admin/channels"}, 200, "")
	call(specCall{method: "POST", path: "/admin/channels", body: `{"name": "spare", "sekret": "x"}`}, 400, "unknown_field")
	for _, name := range []string{"spare", "spare2"} {
		call(specCall{method: "POST", path: "/admin/channels", body: jsonBody(t, map[string]any{
			"name": name, "addr": "127.0.0.1:1", "sp_id": "901299", "secret": "spare-secret", "src_id": "1065800099",
		})}, 201, "")
	}
	call(specCall{method: "GET", path: "/admin/channels/spare"}, 200, "")
	call(specCall{method: "PATCH", path: "/admin/channels/spare", body: `{"window": 8}`}, 200, "")
	call(specCall{method: "PATCH", path: "/admin/channels/spare", body: `{"response_timeout": "soon"}`}, 422, "invalid_field")
	call(specCall{method: "POST", path: "/admin/channels/spare/fail-queued"}, 409, "channel_active")
	call(specCall{method: "DELETE", path: "/admin/channels/spare"}, 204, "")
	call(specCall{method: "DELETE", path: "/admin/channels/spare2"}, 204, "")
	testenv.WaitFor(t, 5*time.Second, "spare deleted", func() bool {
		code, body, _ := specCall{method: "GET", path: "/admin/channels/spare", key: adminKey}.do(t, client, base)
		var v struct{ State string }
		return code == 200 && json.Unmarshal(body, &v) == nil && v.State == "deleted"
	})
	call(specCall{method: "POST", path: "/admin/channels/spare/drain-to/nope"}, 404, "not_found")
	call(specCall{method: "POST", path: "/admin/channels/spare/drain-to/default"}, 200, "")
	testenv.WaitFor(t, 5*time.Second, "spare2 deleted", func() bool {
		code, _, _ := specCall{method: "POST", path: "/admin/channels/spare2/fail-queued", key: adminKey}.do(t, client, base)
		return code == http.StatusOK
	})
}
