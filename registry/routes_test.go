package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// The form of routes and carriers, checked item by item.
func TestRoutesFormValidation(t *testing.T) {
	ch := testChannel("cm1")
	ch.Carriers = []string{"cmcc", "xx", "cmcc"}
	ch.FillDefaults(nil)
	err := ch.Validate(ValidateOptions{})
	for _, w := range []string{`carriers[1]: unknown carrier "xx"`, `carriers[2]: duplicate carrier "cmcc"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("channel error %v, want %q", err, w)
		}
	}
	cases := []struct {
		name   string
		routes Routes
		want   string // "" = valid
	}{
		{"ok", Routes{"cmcc": {{"cm1": 3, "cm2": 1}, {"agg": 1}}, "*": {{"agg": 1}}}, ""},
		{"unknown carrier", Routes{"gsm": {{"cm1": 1}}}, `routes.gsm: unknown carrier "gsm"`},
		{"no group", Routes{"cmcc": {}}, "routes.cmcc: at least one group"},
		{"empty group", Routes{"cmcc": {{"cm1": 1}, {}}}, "routes.cmcc[1]: empty group"},
		{"weight 0", Routes{"cmcc": {{"cm1": 0}}}, "routes.cmcc[0].cm1: weight must be 1..100, not 0"},
		{"weight 101", Routes{"cucc": {{"agg": 101}}}, "routes.cucc[0].agg: weight must be 1..100, not 101"},
		{"twice", Routes{"cmcc": {{"cm1": 1}, {"cm1": 2}}}, `routes.cmcc[1].cm1: channel "cm1" is already in group 0`},
		{"bad name", Routes{"*": {{"A B": 1}}}, "routes.*[0].A B: must be 1-32 characters"},
	}
	for _, c := range cases {
		tn := testTenant("acme", "cm1", "cm2", "agg")
		tn.Routes = c.routes
		tn.FillDefaults(nil)
		err := tn.Validate(ValidateOptions{AllowPrivateNetworks: true})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// Across the set: routed channels exist, are the tenant's and reach the
// carrier; config wording names the tenant by index.
func TestRoutesSetValidation(t *testing.T) {
	cm1, agg, gone := testChannel("cm1"), testChannel("agg"), testChannel("gone")
	cm1.Carriers = []string{"cmcc"}
	agg.Carriers = []string{"cucc", "ctcc"}
	deleted := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	gone.State.DeletedAt = &deleted
	tn := testTenant("acme", "cm1", "agg")
	tn.Routes = Routes{
		"cmcc": {{"cm1": 1}, {"agg": 1}, {"nope": 1}, {"gone": 1}, {"cm9": 1}},
		"cucc": {{"agg": 1}},
		"*":    {{"cm1": 1}},
	}
	errs := CheckSet([]Tenant{testTenant("other", "cm1"), tn}, []Channel{cm1, agg, gone, testChannel("cm9")})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	all := strings.Join(got, "\n")
	for _, w := range []string{
		`tenants[1].routes.cmcc[1].agg: channel "agg" does not reach carrier cmcc`,
		`tenants[1].routes.cmcc[2].nope: unknown channel "nope"`,
		`tenants[1].routes.cmcc[3].gone: channel "gone" is deleted`,
		`tenants[1].routes.cmcc[4].cm9: channel "cm9" is not in the tenant's channels`,
	} {
		if !strings.Contains(all, w) {
			t.Errorf("errors\n%s\nwant %q", all, w)
		}
	}
	if len(errs) != 4 {
		t.Errorf("%d errors, want 4:\n%s", len(errs), all)
	}
}

// Admin API rules: routes are part of the tenant record; a channel's
// carriers cannot change under a route that needs them; a routed channel
// cannot be deleted (it is in the tenant's channels).
func TestRoutesThroughTheRegistry(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	for _, c := range []struct {
		name     string
		carriers []string
	}{{"cm1", []string{"cmcc"}}, {"agg", []string{"cmcc", "cucc"}}} {
		ch := testChannel(c.name)
		ch.Carriers = c.carriers
		if _, err := r.CreateChannel(ctx(t), admin, ch); err != nil {
			t.Fatal(err)
		}
	}
	tn := testTenant("acme", "cm1", "agg")
	tn.Routes = Routes{"cmcc": {{"cm1": 3, "agg": 1}}, "cucc": {{"agg": 1}}}
	got, err := r.CreateTenant(ctx(t), admin, tn)
	if err != nil {
		t.Fatal(err)
	}
	if got.Routes["cmcc"][0]["cm1"] != 3 {
		t.Fatalf("stored routes %v", got.Routes)
	}
	if s, _ := r.Snapshot().Tenant("acme"); s == nil || s.Routes["cucc"][0]["agg"] != 1 {
		t.Fatalf("snapshot routes of acme: %+v", s)
	}
	_, err = r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error {
		t.Routes["cucc"] = []RouteGroup{{"cm1": 1}}
		return nil
	})
	mustInvalid(t, err, `routes.cucc[0].cm1: channel "cm1" does not reach carrier cucc`)
	_, err = r.UpdateChannel(ctx(t), admin, "agg", func(c *Channel) error { c.Carriers = []string{"cmcc"}; return nil })
	mustInvalid(t, err, `carriers: tenant "acme" routes to it (routes.cucc[0].agg`)
	if _, err := r.UpdateChannel(ctx(t), admin, "agg", func(c *Channel) error { c.Carriers = nil; return nil }); err != nil {
		t.Fatalf("widening agg to every carrier: %v", err)
	}
	mustInvalid(t, r.DeleteChannel(ctx(t), admin, "agg"), `channel "agg" is used by tenants acme`)
	_, err = r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.Channels = []string{"cm1"}; return nil })
	mustInvalid(t, err, `routes.cmcc[0].agg: channel "agg" is not in the tenant's channels`)
}
