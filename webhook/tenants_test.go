package webhook

import (
	"slices"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/registry"
)

func TestRegistryTenantsRouteMO(t *testing.T) {
	tt := RegistryTenants{Snapshot: func() *registry.Snapshot {
		return registry.NewSnapshot(1, []registry.Tenant{
			{Name: "a", MOExt: "1", Channels: []string{"cm1", "cm2"}},
			{Name: "b", MOExt: "12", Channels: []string{"cm1"}},
			{Name: "c", MOExt: "123", Channels: []string{"cm2"}},
			{Name: "d", Default: true, Channels: []string{"cm2"}},
		}, []registry.Channel{{Name: "cm1", SrcID: "10690"}, {Name: "cm2", SrcID: "10691"}})
	}}
	check := func(channel, dest, wantTenant, wantExt string, wantOK bool) {
		t.Helper()
		tn, ext, ok := tt.RouteMO(channel, dest)
		if tn != wantTenant || ext != wantExt || ok != wantOK {
			t.Errorf("RouteMO(%s, %s) = %q %q %v, want %q %q %v", channel, dest, tn, ext, ok, wantTenant, wantExt, wantOK)
		}
	}
	check("cm1", "10690123", "b", "123", true) // longest allowed prefix ("c" is cm2 only)
	check("cm1", "1069019", "a", "19", true)
	check("cm2", "10691123", "c", "123", true)
	check("cm1", "10690", "d", "", true)  // no extension: the default tenant, whatever its channels
	check("cm1", "999123", "d", "", true) // Dest_Id without the service code: no extension
	check("cm3", "10690123", "d", "", true)
	if tn, ok := tt.Tenant("c"); !ok || tn.Name != "c" {
		t.Errorf("Tenant(c) = %v %v", tn, ok)
	}
	if _, ok := tt.Tenant("zz"); ok {
		t.Error("unknown tenant found")
	}
}

// The dispatcher's view of a tenant carries its webhook settings, and the
// secrets that sign at the time of the call: the current and the previous
// one during a rotation's overlap, the current one alone after it.
func TestRegistryTenantsSecretsFollowTheOverlap(t *testing.T) {
	now := time.Unix(1763800000, 0)
	snap := registry.NewSnapshot(1, []registry.Tenant{{
		Name: "acme", CallbackURL: "http://127.0.0.1:1/a", WebhookSecret: "new-secret-0123456789",
		WebhookBatchMax: 50, WebhookHosts: []string{"127.0.0.1"}, Channels: []string{"cm1"},
		State: registry.TenantState{PreviousSecret: "old-secret-0123456789", PreviousUntil: now.Add(time.Hour)},
	}}, []registry.Channel{{Name: "cm1", SrcID: "10690"}})
	at := func(when time.Time) Tenant {
		t.Helper()
		tn, ok := RegistryTenants{Snapshot: func() *registry.Snapshot { return snap }, Now: func() time.Time { return when }}.Tenant("acme")
		if !ok {
			t.Fatal("acme not found")
		}
		return tn
	}
	during := at(now)
	if !slices.Equal(during.Secrets, []string{"new-secret-0123456789", "old-secret-0123456789"}) {
		t.Errorf("secrets during the overlap: %q", during.Secrets)
	}
	if during.BatchMax != 50 || during.CallbackURL != "http://127.0.0.1:1/a" || !slices.Equal(during.WebhookHosts, []string{"127.0.0.1"}) {
		t.Errorf("tenant: %+v", during)
	}
	if after := at(now.Add(time.Hour)); !slices.Equal(after.Secrets, []string{"new-secret-0123456789"}) {
		t.Errorf("secrets after the overlap: %q", after.Secrets)
	}
}

// A deleted tenant still resolves, so what it queued is still reported
// to it and signed; it takes no MO messages any more.
func TestRegistryTenantsResolveDeletedTenants(t *testing.T) {
	gone := time.Unix(1763800000, 0)
	snap := registry.NewSnapshot(1, []registry.Tenant{{
		Name: "gone", CallbackURL: "http://127.0.0.1:1/a", WebhookSecret: "gone-secret-0123456789",
		Channels: []string{"cm1"}, Default: true, State: registry.TenantState{DeletedAt: &gone},
	}}, []registry.Channel{{Name: "cm1", SrcID: "10690"}})
	tt := RegistryTenants{Snapshot: func() *registry.Snapshot { return snap }}
	tn, ok := tt.Tenant("gone")
	if !ok || tn.CallbackURL != "http://127.0.0.1:1/a" || !slices.Equal(tn.Secrets, []string{"gone-secret-0123456789"}) {
		t.Errorf("deleted tenant: %+v (found %v), want its webhook settings", tn, ok)
	}
	if name, _, ok := tt.RouteMO("cm1", "106901"); ok {
		t.Errorf("RouteMO routed to %q: a deleted tenant takes no MO", name)
	}
}
