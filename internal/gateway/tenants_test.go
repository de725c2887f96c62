package gateway

import (
	"testing"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/registry"
)

// tenantTable hands every tenant's webhook settings to the dispatcher,
// webhook_batch_max and webhook_hosts included.
func TestTenantTableCarriesWebhookSettings(t *testing.T) {
	cfg := &config.Config{
		Channels: []registry.Channel{{Name: "default", SrcID: "1065800001"}},
		Tenants: []registry.Tenant{
			{Name: "single", CallbackURL: "http://127.0.0.1:1/a", WebhookSecret: "s1", Channels: []string{"default"},
				WebhookHosts: []string{"127.0.0.1", "*.example.com"}},
			{Name: "batch", CallbackURL: "http://127.0.0.1:1/b", WebhookSecret: "s2", WebhookBatchMax: 50, MOExt: "7", Default: true},
		},
	}
	tt := tenantTable(cfg)
	if tt.ServiceCodes["default"] != "1065800001" {
		t.Errorf("service codes %v", tt.ServiceCodes)
	}
	for name, want := range map[string]int{"single": 0, "batch": 50} {
		tn, ok := tt.Tenant(name)
		if !ok || tn.BatchMax != want {
			t.Errorf("tenant %s: %+v (found %v), want BatchMax %d", name, tn, ok, want)
		}
	}
	if tn, _ := tt.Tenant("batch"); tn.Secret != "s2" || tn.CallbackURL != "http://127.0.0.1:1/b" {
		t.Errorf("tenant batch: %+v", tn)
	}
	if tn, _ := tt.Tenant("single"); len(tn.WebhookHosts) != 2 || tn.WebhookHosts[1] != "*.example.com" {
		t.Errorf("tenant single: webhook hosts %q, want the configured allowlist", tn.WebhookHosts)
	}
	if name, ext, ok := tt.RouteMO("default", "10658000017"); !ok || name != "batch" || ext != "7" {
		t.Errorf("RouteMO = %s %s %v", name, ext, ok)
	}
}

// The dispatcher leases enough events at once to fill the largest batch a
// tenant asked for, and never fewer than its default.
func TestWebhookLeaseSizeFitsLargestBatch(t *testing.T) {
	for _, c := range []struct {
		batches []int
		want    int
	}{
		{nil, 32},
		{[]int{0, 1}, 32},
		{[]int{20}, 32},
		{[]int{0, 100, 64}, 100},
		{[]int{registry.MaxWebhookBatch}, registry.MaxWebhookBatch},
	} {
		cfg := &config.Config{}
		for _, b := range c.batches {
			cfg.Tenants = append(cfg.Tenants, registry.Tenant{WebhookBatchMax: b})
		}
		if got := cfg.WebhookConfig().BatchSize; got != c.want {
			t.Errorf("batches %v: lease size %d, want %d", c.batches, got, c.want)
		}
	}
}
