package webhook

import "testing"

func TestTenantTableRouteMO(t *testing.T) {
	tt := &TenantTable{
		Tenants: []TableTenant{
			{Tenant: Tenant{Name: "a"}, MOExt: "1"},
			{Tenant: Tenant{Name: "b"}, MOExt: "12", Channels: []string{"cm1"}},
			{Tenant: Tenant{Name: "c"}, MOExt: "123", Channels: []string{"cm2"}},
			{Tenant: Tenant{Name: "d"}, Default: true, Channels: []string{"cm2"}},
		},
		ServiceCodes: map[string]string{"cm1": "10690", "cm2": "10691"},
	}
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

	noDefault := &TenantTable{Tenants: []TableTenant{{Tenant: Tenant{Name: "a"}, MOExt: "1"}}, ServiceCodes: tt.ServiceCodes}
	if tn, ext, ok := noDefault.RouteMO("cm1", "106909"); ok || tn != "" || ext != "9" {
		t.Errorf("no route: %q %q %v", tn, ext, ok)
	}
	if tn, ok := tt.Tenant("c"); !ok || tn.Name != "c" {
		t.Errorf("Tenant(c) = %v %v", tn, ok)
	}
	if _, ok := tt.Tenant("zz"); ok {
		t.Error("unknown tenant found")
	}
}
