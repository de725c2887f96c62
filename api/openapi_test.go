package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/webhook"
)

// spec is the part of openapi.yaml these tests read.
type spec struct {
	OpenAPI    string                              `yaml:"openapi"`
	Paths      map[string]map[string]any           `yaml:"paths"`
	Webhooks   map[string]any                      `yaml:"webhooks"`
	Components struct{ Schemas map[string]schema } `yaml:"components"`
}

type schema struct {
	Enum       []string          `yaml:"enum"`
	Required   []string          `yaml:"required"`
	Properties map[string]schema `yaml:"properties"`
	Items      *schema           `yaml:"items"`
	Ref        string            `yaml:"$ref"`
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	raw, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var s spec
	if err := yaml.Unmarshal(raw, &s); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if s.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", s.OpenAPI)
	}
	return &s
}

// TestSpecPathsMatchRoutes: the router's routes and the spec's operations
// are the same set.
func TestSpecPathsMatchRoutes(t *testing.T) {
	s := loadSpec(t)
	var inSpec, served []string
	for path, ops := range s.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
				inSpec = append(inSpec, strings.ToUpper(method)+" "+path)
			}
		}
	}
	srv := New(Deps{Config: testConfig()})
	for _, r := range srv.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	sort.Strings(inSpec)
	sort.Strings(served)
	if strings.Join(inSpec, "\n") != strings.Join(served, "\n") {
		t.Fatalf("spec operations:\n%s\nrouter:\n%s", strings.Join(inSpec, "\n"), strings.Join(served, "\n"))
	}
	for _, wh := range []string{"sms.status", "sms.mo"} {
		if s.Webhooks[wh] == nil {
			t.Errorf("webhook %s missing from the spec", wh)
		}
	}
}

// TestSpecErrorCodes: the ErrorCode enum lists exactly the Code constants
// declared in errors.go.
func TestSpecErrorCodes(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Code" {
			for _, v := range vs.Values {
				lit := v.(*ast.BasicLit)
				s, _ := strconv.Unquote(lit.Value)
				declared = append(declared, s)
			}
		}
		return true
	})
	enum := append([]string(nil), loadSpec(t).Components.Schemas["ErrorCode"].Enum...)
	sort.Strings(declared)
	sort.Strings(enum)
	if len(declared) < 20 || strings.Join(declared, ",") != strings.Join(enum, ",") {
		t.Fatalf("errors.go codes:\n%v\nopenapi ErrorCode enum:\n%v", declared, enum)
	}
}

// checkShape checks that the JSON of v has every required property of the
// schema and no property the schema does not list, recursing into objects
// and arrays of objects described inline or by $ref.
func checkShape(t *testing.T, s *spec, where string, sc schema, v any) {
	t.Helper()
	for sc.Ref != "" {
		sc = s.Components.Schemas[strings.TrimPrefix(sc.Ref, "#/components/schemas/")]
	}
	switch x := v.(type) {
	case map[string]any:
		if sc.Properties == nil {
			return // free-form map (e.g. channels)
		}
		for _, req := range sc.Required {
			if _, ok := x[req]; !ok {
				t.Errorf("%s: required property %q missing", where, req)
			}
		}
		for k, val := range x {
			p, ok := sc.Properties[k]
			if !ok {
				t.Errorf("%s: property %q not in the spec", where, k)
				continue
			}
			checkShape(t, s, where+"."+k, p, val)
		}
	case []any:
		if sc.Items != nil {
			for i, it := range x {
				checkShape(t, s, where+"["+strconv.Itoa(i)+"]", *sc.Items, it)
			}
		}
	}
}

func asJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSpecSchemasMatchTypes: the Go response types and webhook payload
// types serialise to the shapes the spec describes.
func TestSpecSchemasMatchTypes(t *testing.T) {
	s := loadSpec(t)
	now := webhook.Time{Time: time.Now()}
	zero := uint32(0)
	seg := SegmentStatus{Number: 1, Status: "delivered", MsgID: msgID(1), SubmitResult: &zero, Stat: "DELIVRD",
		SubmittedAt: &now, ReportedAt: &now, Attempts: 1}
	cases := map[string]any{
		"SendResponse": SendResponse{ID: "x", Status: "queued", Channel: "c", Recipients: 1, SegmentsPerRecipient: 1, TotalSegments: 1},
		"StatusResponse": StatusResponse{ID: "x", Status: "delivered", CreatedAt: now, FinishedAt: &now, CancelledAt: &now,
			Recipients: []RecipientStatus{{To: "13800138000", Status: "delivered", Segments: []SegmentStatus{seg}}}},
		"CancelResponse": CancelResponse{ID: "x", Status: "cancelled",
			CancelResults: []CancelResultItem{{MsgID: msgID(1), Recipient: "13800138000", Segment: 1, Success: true}}},
		"ReadyResponse":  ReadyResponse{Status: "ready", Redis: "ok", Channels: map[string]bool{"a": true}},
		"DeadLetterList": DeadLetterList{Events: []DeadLetter{{ID: "e", RequestID: "r", DeadAt: &now}}},
		"ReplayResponse": ReplayResponse{Status: "queued"},
		"Error":          ErrorBody{Code: CodeNotFound, Message: "m"},
		"SendRequest": SendRequest{To: []string{"1"}, Content: "c", Channel: "c", Ext: "1", CallbackURL: "u", ClientRef: "r",
			Encoding: "auto", Priority: "high"},
		"TenantBody": TenantBody{Name: "n", Channels: []string{"c"}, WebhookHosts: []string{"h"},
			CMPP: &registry.CMPPAccess{Account: "a", Secret: "s", ServiceCode: "1", AllowedIPs: []string{"::1"}}},
		"TenantView": TenantView{Name: "n", Channels: []string{"c"}, WebhookHosts: []string{}, PreviousSecretUntil: &now,
			Keys: []KeyView{{ID: "k", LastUsedAt: &now}}, CMPP: &CMPPView{Account: "a", AllowedIPs: []string{}}},
		"TenantList":       TenantList{Tenants: []TenantView{{Keys: []KeyView{}}}},
		"NewKey":           NewKeyResponse{ID: "k", Key: "secret"},
		"Usage":            UsageResponse{Days: []UsageDay{{Date: "2026-01-01"}}},
		"ChannelBody":      ChannelBody{Name: "c"},
		"ChannelView":      ChannelView{Name: "c", DeletedAt: &now, LinksReady: new(bool), Queued: map[string]int64{"t": 1}},
		"ChannelList":      ChannelList{Channels: []ChannelView{{Name: "c"}}},
		"DrainResult":      DrainResponse{MovedRequests: 1},
		"FailQueuedResult": FailQueuedResponse{FailedSegments: 1},
		"StatusEvent": webhook.StatusEvent{ID: "e", Type: webhook.TypeStatus, CreatedAt: now, Data: webhook.StatusData{
			Segments: []webhook.SegmentData{{Number: 1, SubmitResult: &zero, SubmittedAt: &now, ReportedAt: &now}}}},
		"MOEvent": webhook.MOEvent{ID: "e", Type: webhook.TypeMO, CreatedAt: now, Data: webhook.MOData{ReceivedAt: now}},
	}
	for name, v := range cases {
		sc, ok := s.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		checkShape(t, s, name, sc, asJSONValue(t, v))
	}
}
