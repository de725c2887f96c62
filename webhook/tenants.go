package webhook

import (
	"time"

	"github.com/smsbridge/smsbridge/registry"
)

// Tenant is what the dispatcher needs to know about a tenant.
type Tenant struct {
	// Name identifies the tenant (the request's tenant).
	Name string
	// CallbackURL is the default webhook URL, used when an event carries
	// none ("" = the tenant takes no webhooks by default).
	CallbackURL string
	// Secrets sign the tenant's webhooks (HMAC-SHA256, see Sign): the
	// current secret first, then the previous one while a rotation's
	// overlap lasts. At least one.
	Secrets []string
	// BatchMax, above 1, batches the tenant's webhooks: each POST carries
	// a JSON array of up to BatchMax of the tenant's events leased
	// together for the same URL and type (see Dispatcher). As a batch
	// holds events of one lease, it also holds at most the lease size
	// (Config.BatchSize, see Dispatcher.SetBatchSize): the gateway keeps
	// it at least the largest tenant BatchMax (at most
	// registry.MaxWebhookBatch). 0 or 1: one event per POST, the event
	// object as the body.
	BatchMax int
	// WebhookHosts, when not empty, lists the only hosts the tenant's
	// callback URLs may name (see netguard.Policy.Hosts); an event for
	// another host is dead-lettered without a POST.
	WebhookHosts []string
}

// Tenants resolves tenants for the dispatcher. Implementations must be
// safe for concurrent use; RegistryTenants reads the account registry.
type Tenants interface {
	// Tenant returns the tenant called name; ok is false when unknown.
	Tenant(name string) (t Tenant, ok bool)
	// RouteMO picks the tenant of an MO message received on channel for
	// Dest_Id dest, and returns dest's extension (the digits after the
	// channel's service code, "" when there are none). ok is false when no
	// tenant takes the message (and there is no default tenant).
	RouteMO(channel, dest string) (tenant, ext string, ok bool)
}

// RegistryTenants is the Tenants of the account registry: each call reads
// the registry's current Snapshot, so a tenant's changes (callback URL,
// secret rotation, batching, MO routing) apply to the next event leased.
type RegistryTenants struct {
	// Snapshot returns the current accounts (Registry.Snapshot).
	Snapshot func() *registry.Snapshot
	// Now decides which secrets sign (registry.Tenant.Secrets). Default
	// time.Now.
	Now func() time.Time
}

// Tenant implements Tenants. A deleted tenant still resolves: what it
// queued is still reported to it, signed with its secrets.
func (r RegistryTenants) Tenant(name string) (Tenant, bool) {
	t, ok := r.Snapshot().TenantForWebhooks(name)
	if !ok {
		return Tenant{}, false
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return Tenant{
		Name: t.Name, CallbackURL: t.CallbackURL, Secrets: t.Secrets(now()),
		BatchMax: t.WebhookBatchMax, WebhookHosts: t.WebhookHosts,
	}, true
}

// RouteMO implements Tenants with the snapshot's routing (see
// registry.Snapshot.RouteMO).
func (r RegistryTenants) RouteMO(channel, dest string) (tenant, ext string, ok bool) {
	return r.Snapshot().RouteMO(channel, dest)
}
