package webhook

import (
	"slices"
	"testing"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Two tenants sharing a URL and a secret still get their own batches,
// each capped by its own BatchMax: acme (BatchMax 2) never gets more than
// 2 events per POST, even when beta (BatchMax 100) is leased first, and no
// POST mixes the two.
func TestBatchesPerTenantWithSharedURLAndSecret(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	beta := registry.Tenant{Name: "beta", WebhookSecret: testSecret, WebhookBatchMax: 100}
	tenantOf := map[string]string{} // event id → tenant
	seed := func(tenant string, n int) {
		_, ids := f.seedStatus(tenant, rc.srv.URL, n, 1, delivrd)
		for _, id := range ids {
			tenantOf[id] = tenant
		}
	}
	// Leased in this order, in one lease: beta's events come first and
	// acme's sit between beta's.
	seed("beta", 2)
	seed("acme", 5)
	seed("beta", 3)
	cfg := f.fastConfig(batchTenants("", 2, beta))
	r := start(t, cfg)
	waitOutcomes(t, cfg, TypeStatus, outcomeDelivered, 10)
	r.stop(t)
	sizes := map[string][]int{} // tenant → sorted batch sizes
	sent := map[string]bool{}
	for _, q := range rc.requests() {
		els := batchElements(t, q, testSecret)
		per := map[string]int{} // tenant → events in this POST
		for _, el := range els {
			id := envelope(t, el).ID
			sent[id] = true
			per[tenantOf[id]]++
		}
		if len(per) != 1 {
			t.Errorf("POST mixes tenants: %v", per)
		}
		if per["acme"] > 2 {
			t.Errorf("POST holds %d acme events, over its BatchMax 2", per["acme"])
		}
		for tenant := range per {
			sizes[tenant] = append(sizes[tenant], len(els))
		}
	}
	for _, s := range sizes {
		slices.Sort(s)
	}
	if !slices.Equal(sizes["acme"], []int{1, 2, 2}) || !slices.Equal(sizes["beta"], []int{5}) {
		t.Errorf("batch sizes %v, want acme [1 2 2] and beta [5]", sizes)
	}
	for id := range tenantOf {
		if !sent[id] {
			t.Errorf("event %s not sent", id)
		}
	}
}
