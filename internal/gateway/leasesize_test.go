package gateway

import (
	"testing"

	"github.com/smsbridge/smsbridge/registry"
)

// The dispatcher leases enough events at once to fill the largest batch a
// tenant of the current snapshot asked for, and never fewer than its
// default; the reconciler applies it at every registry change.
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
		var ts []registry.Tenant
		for i, b := range c.batches {
			ts = append(ts, registry.Tenant{Name: string(rune('a' + i)), WebhookBatchMax: b})
		}
		if got := webhookLeaseSize(registry.NewSnapshot(1, ts, nil)); got != c.want {
			t.Errorf("batches %v: lease size %d, want %d", c.batches, got, c.want)
		}
	}
}
