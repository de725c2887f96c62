package routing

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/smsbridge/smsbridge/registry"
)

// prefixCarriers is a carrier lookup for the tests: 138… cmcc, 186…
// cucc, 189… ctcc, 192… cbn, anything else unknown. It counts its calls.
type prefixCarriers struct{ calls atomic.Int64 }

func (p *prefixCarriers) lookup(_ context.Context, numbers []string) ([]string, error) {
	p.calls.Add(1)
	out := make([]string, len(numbers))
	for i, n := range numbers {
		switch n[:3] {
		case "138":
			out[i] = "cmcc"
		case "186":
			out[i] = "cucc"
		case "189":
			out[i] = "ctcc"
		case "192":
			out[i] = "cbn"
		}
	}
	return out, nil
}

func channel(name string, carriers ...string) registry.Channel {
	return registry.Channel{Name: name, Carriers: carriers}
}

// fixture is a Router on a fixed snapshot with a settable Down set.
type fixture struct {
	snap *registry.Snapshot
	cars *prefixCarriers
	down map[string]bool
	r    *Router
}

func newFixture(tenants []registry.Tenant, channels ...registry.Channel) *fixture {
	f := &fixture{snap: registry.NewSnapshot(1, tenants, channels), cars: &prefixCarriers{}, down: map[string]bool{}}
	f.r = New(Deps{
		Snapshot: func() *registry.Snapshot { return f.snap },
		Carriers: f.cars.lookup,
		Down:     func(ch string) bool { return f.down[ch] },
	})
	return f
}

func (f *fixture) tenant(t *testing.T, name string) *registry.Tenant {
	t.Helper()
	tn, ok := f.snap.Tenant(name)
	if !ok {
		t.Fatalf("no tenant %q", name)
	}
	return tn
}

func (f *fixture) route(t *testing.T, tenant string, numbers []string, named string) []string {
	t.Helper()
	out, err := f.r.Route(context.Background(), f.tenant(t, tenant), numbers, named)
	if err != nil {
		t.Fatalf("Route(%s, %v, %q): %v", tenant, numbers, named, err)
	}
	return out
}

const (
	cm  = "13800000001"
	cu  = "18600000001"
	ct  = "18900000001"
	cb  = "19200000001"
	unk = "14000000001"
)

func routedTenant() registry.Tenant {
	return registry.Tenant{Name: "acme", Channels: []string{"cm1", "cm2", "agg", "any"}, Routes: registry.Routes{
		"cmcc": {{"cm1": 1}, {"cm2": 1}, {"agg": 1}},
		"ctcc": {{"agg": 1}},
		"*":    {{"agg": 1}, {"any": 1}},
	}}
}

func routedChannels() []registry.Channel {
	return []registry.Channel{channel("cm1", "cmcc"), channel("cm2", "cmcc"), channel("agg", "cmcc", "cucc", "ctcc"), channel("any")}
}

func TestRouteByCarrier(t *testing.T) {
	f := newFixture([]registry.Tenant{routedTenant()}, routedChannels()...)
	got := f.route(t, "acme", []string{cm, cu, ct, cb, unk}, "")
	// cmcc → its route; cucc → "*" (agg reaches it); ctcc → its route;
	// cbn → "*" (agg does not reach it, any does); unknown → "*", agg.
	want := []string{"cm1", "agg", "agg", "any", "agg"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("channels %v, want %v", got, want)
	}
	if n := f.cars.calls.Load(); n != 1 {
		t.Errorf("%d carrier lookups for one request, want 1", n)
	}
}

func TestDownSkipsGroupsAndChannels(t *testing.T) {
	f := newFixture([]registry.Tenant{routedTenant()}, routedChannels()...)
	f.down["cm1"] = true
	if got := f.route(t, "acme", []string{cm}, ""); got[0] != "cm2" {
		t.Fatalf("cm1 down: %v, want cm2 (second group)", got)
	}
	f.down["cm2"] = true
	if got := f.route(t, "acme", []string{cm}, ""); got[0] != "agg" {
		t.Fatalf("cm1, cm2 down: %v, want agg (third group)", got)
	}
	f.down["agg"] = true
	if got := f.route(t, "acme", []string{cm}, ""); got[0] != "cm1" {
		t.Fatalf("every group down: %v, want cm1 (the first group: queue there)", got)
	}
	// Inside a group: the down channel is skipped, the other takes all.
	tn := registry.Tenant{Name: "w", Channels: []string{"a", "b"}, Routes: registry.Routes{"cmcc": {{"a": 3, "b": 1}}}}
	g := newFixture([]registry.Tenant{tn}, channel("a", "cmcc"), channel("b", "cmcc"))
	g.down["a"] = true
	for range 10 {
		if got := g.route(t, "w", []string{cm}, ""); got[0] != "b" {
			t.Fatalf("a down: %v, want b", got)
		}
	}
}

func TestWeightedSplitExact(t *testing.T) {
	tn := registry.Tenant{Name: "w", Channels: []string{"a", "b"}, Routes: registry.Routes{"cmcc": {{"a": 3, "b": 1}}}}
	f := newFixture([]registry.Tenant{tn}, channel("a", "cmcc"), channel("b", "cmcc"))
	counts := map[string]int{}
	for range 1000 {
		for _, ch := range f.route(t, "w", []string{cm, cm}, "") {
			counts[ch]++
		}
	}
	if counts["a"] != 1500 || counts["b"] != 500 {
		t.Fatalf("split %v, want exactly a:1500 b:500", counts)
	}
	// Smooth: no run of more than 3 a in a row.
	seq := f.route(t, "w", []string{cm, cm, cm, cm, cm, cm, cm, cm}, "")
	if strings.Contains(strings.Join(seq, ""), "aaaa") {
		t.Errorf("sequence %v is not interleaved", seq)
	}
}

func TestDefaultRuleWithoutRoutes(t *testing.T) {
	tn := registry.Tenant{Name: "plain", Channels: []string{"cm1", "agg"}}
	f := newFixture([]registry.Tenant{tn}, channel("cm1", "cmcc"), channel("agg", "cucc", "ctcc"))
	got := f.route(t, "plain", []string{cm, cu, ct, unk}, "")
	want := []string{"cm1", "agg", "agg", "cm1"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("channels %v, want %v", got, want)
	}
	_, err := f.r.Route(context.Background(), f.tenant(t, "plain"), []string{cm, cb}, "")
	var nr *NoRouteError
	if !errors.As(err, &nr) || nr.Index != 1 || nr.Carrier != "cbn" || nr.Channel != "" {
		t.Fatalf("cbn number: %v, want NoRouteError index 1 carrier cbn", err)
	}
	if strings.Contains(err.Error(), cb) {
		t.Errorf("error %q names the number", err)
	}
}

// The fast path: a tenant without routes on a channel of every carrier
// (today's setup) makes no carrier lookup at all.
func TestNoLookupWhenCarrierCannotMatter(t *testing.T) {
	tens := []registry.Tenant{
		{Name: "plain", Channels: []string{"any", "cm1"}},
		{Name: "star", Channels: []string{"any", "any2"}, Routes: registry.Routes{"*": {{"any": 1, "any2": 1}}}},
	}
	f := newFixture(tens, channel("any"), channel("any2"), channel("cm1", "cmcc"))
	f.route(t, "plain", []string{cm}, "")
	f.route(t, "plain", []string{cm, cu}, "any")
	f.route(t, "star", []string{cm, cu}, "")
	if n := f.cars.calls.Load(); n != 0 {
		t.Fatalf("%d carrier lookups, want 0", n)
	}
	f.route(t, "plain", []string{cm}, "cm1")
	if n := f.cars.calls.Load(); n != 1 {
		t.Fatalf("named channel with carriers: %d lookups, want 1", n)
	}
}

func TestNamedChannel(t *testing.T) {
	f := newFixture([]registry.Tenant{routedTenant()}, append(routedChannels(), channel("other"))...)
	got := f.route(t, "acme", []string{cm, cm}, "cm2")
	if got[0] != "cm2" || got[1] != "cm2" {
		t.Fatalf("named cm2: %v", got)
	}
	_, err := f.r.Route(context.Background(), f.tenant(t, "acme"), []string{cm, ct}, "cm2")
	var nr *NoRouteError
	if !errors.As(err, &nr) || nr.Index != 1 || nr.Carrier != "ctcc" || nr.Channel != "cm2" {
		t.Fatalf("ctcc on cm2: %v, want NoRouteError index 1 carrier ctcc channel cm2", err)
	}
	for _, bad := range []string{"other", "nope"} {
		if _, err := f.r.Route(context.Background(), f.tenant(t, "acme"), []string{cm}, bad); !errors.Is(err, ErrChannel) {
			t.Errorf("named %q: %v, want ErrChannel", bad, err)
		}
	}
}

func TestRouteWithoutReachingChannel(t *testing.T) {
	tn := registry.Tenant{Name: "s", Channels: []string{"cm1"}, Routes: registry.Routes{"*": {{"cm1": 1}}}}
	f := newFixture([]registry.Tenant{tn}, channel("cm1", "cmcc"))
	_, err := f.r.Route(context.Background(), f.tenant(t, "s"), []string{cm, cm, cu}, "")
	var nr *NoRouteError
	if !errors.As(err, &nr) || nr.Index != 2 || nr.Carrier != "cucc" {
		t.Fatalf("cucc via a cmcc-only * route: %v, want NoRouteError index 2", err)
	}
}

func TestLookupErrorPropagates(t *testing.T) {
	tn := routedTenant()
	snap := registry.NewSnapshot(1, []registry.Tenant{tn}, routedChannels())
	boom := errors.New("redis down")
	r := New(Deps{Snapshot: func() *registry.Snapshot { return snap },
		Carriers: func(context.Context, []string) ([]string, error) { return nil, boom }})
	tp, _ := snap.Tenant("acme")
	if _, err := r.Route(context.Background(), tp, []string{cm}, ""); !errors.Is(err, boom) {
		t.Fatalf("err %v, want the lookup's", err)
	}
}

// A new snapshot recompiles the plans (routes changed by the admin API).
func TestNewSnapshotRecompiles(t *testing.T) {
	f := newFixture([]registry.Tenant{routedTenant()}, routedChannels()...)
	if got := f.route(t, "acme", []string{cm}, ""); got[0] != "cm1" {
		t.Fatalf("before: %v", got)
	}
	tn := routedTenant()
	tn.Routes["cmcc"] = []registry.RouteGroup{{"cm2": 1}}
	f.snap = registry.NewSnapshot(2, []registry.Tenant{tn}, routedChannels())
	if got := f.route(t, "acme", []string{cm}, ""); got[0] != "cm2" {
		t.Fatalf("after the change: %v, want cm2", got)
	}
}

// Reroute (the failover mover's target) routes as a new request would,
// skipping what is down; numbers without a route, or of an unknown
// tenant, stay ("").
func TestReroute(t *testing.T) {
	f := newFixture([]registry.Tenant{routedTenant()}, routedChannels()...)
	f.down["cm1"] = true
	got := f.r.Reroute("acme", []string{cm, cu})
	if got[0] != "cm2" || got[1] != "agg" {
		t.Fatalf("Reroute: %v, want [cm2 agg]", got)
	}
	tn := registry.Tenant{Name: "s", Channels: []string{"cm1"}, Routes: registry.Routes{"*": {{"cm1": 1}}}}
	g := newFixture([]registry.Tenant{tn}, channel("cm1", "cmcc"))
	if got := g.r.Reroute("s", []string{cm, cu}); got[0] != "cm1" || got[1] != "" {
		t.Fatalf("Reroute with an unroutable number: %v, want [cm1 \"\"]", got)
	}
	if got := g.r.Reroute("nobody", []string{cm}); got[0] != "" {
		t.Fatalf("Reroute of an unknown tenant: %v", got)
	}
}

// When every channel that could take a number is down, Reroute keeps the
// number where it is: naming another down channel would make the movers of
// two down channels hand the same recipients back and forth.
func TestRerouteEveryGroupDownStays(t *testing.T) {
	tn := registry.Tenant{Name: "w", Channels: []string{"a", "b", "c"}, Routes: registry.Routes{"cmcc": {{"a": 3, "b": 1}, {"c": 1}}}}
	g := newFixture([]registry.Tenant{tn}, channel("a", "cmcc"), channel("b", "cmcc"), channel("c", "cmcc"))
	g.down["a"], g.down["b"], g.down["c"] = true, true, true
	for range 8 {
		if got := g.r.Reroute("w", []string{cm, cm}); got[0] != "" || got[1] != "" {
			t.Fatalf("every group down: Reroute %v, want [\"\" \"\"] (stay)", got)
		}
	}
	g.down["c"] = false
	if got := g.r.Reroute("w", []string{cm}); got[0] != "c" {
		t.Fatalf("a, b down, c up: Reroute %v, want c", got)
	}
}
