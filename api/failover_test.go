package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/failover"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// GET /readyz names a channel failed over, and the rule, without turning
// not ready.
func TestReadyzShowsFailedOver(t *testing.T) {
	h := newHarness(t)
	h.failover.SetRules(map[string]failover.Rules{
		"cm1": {NoLinkFor: time.Hour, Window: time.Minute, MinSegments: 50, HealthyFor: time.Minute},
		"cm2": {NoLinkFor: time.Second, Window: time.Minute, MinSegments: 50, HealthyFor: time.Minute},
	})
	testenv.WaitFor(t, 20*time.Second, "cm2 down (no link reported by any replica)", func() bool {
		h.failover.TickOnce(context.Background())
		return h.failover.Down("cm2")
	})
	var rd ReadyResponse
	r := h.do(t, http.MethodGet, "/readyz", "", nil)
	r.json(t, &rd)
	if r.status != 200 || rd.Status != "ready" || len(rd.FailedOver) != 1 || rd.FailedOver["cm2"] != "no_link" {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
}

// The admin channel routes take and show the failover section: defaults
// for keys left out, 0 turning a rule off, errors naming the key.
func TestAdminChannelFailover(t *testing.T) {
	h := newHarness(t)
	body := cm3("cm3")
	body["failover"] = map[string]any{"problem_results": []int{9, 10}, "window": "2m"}
	r := h.admin(t, http.MethodPost, "/admin/channels", body)
	var v ChannelView
	r.json(t, &v)
	f := v.Failover
	if r.status != 201 || f.Window.D() != 2*time.Minute || len(f.ProblemResults) != 2 || f.MinSegments != failover.DefaultMinSegments ||
		f.NoLinkFor == nil || f.NoLinkFor.D() != failover.DefaultNoLinkFor || f.FailureShare == nil ||
		*f.FailureShare != failover.DefaultFailureShare || f.HealthyFor.D() != failover.DefaultHealthyFor {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = h.admin(t, http.MethodPatch, "/admin/channels/cm3", `{"failover": {"failure_share": 0, "healthy_for": "30s"}}`)
	v = ChannelView{}
	r.json(t, &v)
	f = v.Failover
	if r.status != 200 || *f.FailureShare != 0 || f.HealthyFor.D() != 30*time.Second || f.Window.D() != 2*time.Minute || len(f.ProblemResults) != 2 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	// The channel other replicas read has it too.
	snap := h.registry.Snapshot()
	if ch, ok := snap.Channel("cm3"); !ok || ch.Failover.Rules().FailureShare != 0 || ch.Failover.Rules().HealthyFor != 30*time.Second {
		t.Fatalf("stored channel %+v", ch)
	}
	for _, c := range []struct{ patch, key string }{
		{`{"failover": {"window": "0s"}}`, "failover.window"},
		{`{"failover": {"problem_results": [8]}}`, "failover.problem_results[0]"},
		{`{"failover": {"failure_share": 1.5}}`, "failover.failure_share"},
		{`{"failover": {"min_segments": 0}}`, "failover.min_segments"},
	} {
		e := expectErr(t, h.admin(t, http.MethodPatch, "/admin/channels/cm3", c.patch), 422, CodeInvalidField)
		if !strings.Contains(e.Message, c.key) {
			t.Fatalf("%s: message %q does not name %s", c.patch, e.Message, c.key)
		}
	}
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/channels/cm3", `{"failover": {"windw": "1m"}}`), 400, CodeUnknownField)
}
