package webhook

import "strings"

// Tenant is what the dispatcher needs to know about a tenant.
type Tenant struct {
	// Name identifies the tenant (the request's tenant).
	Name string
	// CallbackURL is the default webhook URL, used when an event carries
	// none ("" = the tenant takes no webhooks by default).
	CallbackURL string
	// Secret signs the tenant's webhooks (HMAC-SHA256, see Sign).
	Secret string
	// BatchMax, above 1, batches the tenant's webhooks: each POST carries
	// a JSON array of up to BatchMax of the tenant's events leased
	// together for the same URL and type (see Dispatcher). As a batch
	// holds events of one lease, it also holds at most Config.BatchSize
	// events: the gateway sets BatchSize to at least the largest tenant
	// BatchMax (at most 128, registry.MaxWebhookBatch). 0 or 1: one event
	// per POST, the event object as the body.
	BatchMax int
	// WebhookHosts, when not empty, lists the only hosts the tenant's
	// callback URLs may name (see netguard.Policy.Hosts); an event for
	// another host is dead-lettered without a POST.
	WebhookHosts []string
}

// Tenants resolves tenants for the dispatcher. It is an interface so the
// dispatcher does not depend on configuration loading; TenantTable is a
// ready-made implementation. Implementations must be safe for concurrent
// use.
type Tenants interface {
	// Tenant returns the tenant called name; ok is false when unknown.
	Tenant(name string) (t Tenant, ok bool)
	// RouteMO picks the tenant of an MO message received on channel for
	// Dest_Id dest, and returns dest's extension (the digits after the
	// channel's service code, "" when there are none). ok is false when no
	// tenant takes the message (and there is no default tenant).
	RouteMO(channel, dest string) (tenant, ext string, ok bool)
}

// TenantTable is a static Tenants built from configuration.
type TenantTable struct {
	// Tenants in configuration order.
	Tenants []TableTenant
	// ServiceCodes maps a channel to its SP service code (the Src_Id
	// prefix that every Dest_Id of an MO message on that channel starts
	// with).
	ServiceCodes map[string]string
}

// TableTenant is one tenant of a TenantTable.
type TableTenant struct {
	Tenant
	// Channels the tenant may use (none = every channel).
	Channels []string
	// MOExt routes MO messages whose Dest_Id extension starts with it to
	// this tenant; the longest matching MOExt wins.
	MOExt string
	// Default marks the tenant receiving MO messages nobody else takes.
	Default bool
}

// Tenant implements Tenants.
func (tt *TenantTable) Tenant(name string) (Tenant, bool) {
	for i := range tt.Tenants {
		if tt.Tenants[i].Name == name {
			return tt.Tenants[i].Tenant, true
		}
	}
	return Tenant{}, false
}

// RouteMO implements Tenants: the extension is Dest_Id after the channel's
// service code; the tenant is the one allowed on channel whose non-empty
// MOExt is the longest prefix of the extension, else the (first) default
// tenant, whatever its channels.
func (tt *TenantTable) RouteMO(channel, dest string) (string, string, bool) {
	ext := ""
	if code := tt.ServiceCodes[channel]; code != "" && strings.HasPrefix(dest, code) {
		ext = dest[len(code):]
	}
	best, dflt := -1, -1
	for i := range tt.Tenants {
		t := &tt.Tenants[i]
		if t.Default && dflt < 0 {
			dflt = i
		}
		if t.MOExt != "" && t.allows(channel) && strings.HasPrefix(ext, t.MOExt) &&
			(best < 0 || len(t.MOExt) > len(tt.Tenants[best].MOExt)) {
			best = i
		}
	}
	if best < 0 {
		best = dflt
	}
	if best < 0 {
		return "", ext, false
	}
	return tt.Tenants[best].Name, ext, true
}

// allows reports whether the tenant may use channel.
func (t *TableTenant) allows(channel string) bool {
	if len(t.Channels) == 0 {
		return true
	}
	for _, c := range t.Channels {
		if c == channel {
			return true
		}
	}
	return false
}
