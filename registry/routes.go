package registry

import (
	"fmt"
	"maps"
	"slices"

	// carrierpkg: "carrier" names a route's key throughout this file.
	carrierpkg "github.com/smsbridge/smsbridge/internal/carrier"
)

// Carrier codes (a channel's carriers, a route's key) are the carrier
// package's (carrier.Valid).

// RouteAnyCarrier keys the route of every carrier a tenant's routes do
// not list, and of numbers whose carrier is unknown.
const RouteAnyCarrier = "*"

// MaxRouteWeight is the largest weight of a channel in a route group.
const MaxRouteWeight = 100

// MaxRouteGroup is the most channels of one route group.
const MaxRouteGroup = 64

// Routes is a tenant's routing by carrier: carrier code (or
// RouteAnyCarrier) → ordered channel groups. The first group with a
// working channel takes the carrier's recipients; within a group they are
// shared by weight.
type Routes map[string][]RouteGroup

// RouteGroup is one group of a route: channel name → weight
// (1..MaxRouteWeight).
type RouteGroup map[string]int

// Members returns the group's channel names in a stable (sorted) order.
func (g RouteGroup) Members() []string { return slices.Sorted(maps.Keys(g)) }

// validateForm checks what routes can check alone: carrier keys, non-empty
// groups, weights 1..MaxRouteWeight, valid names, a channel at most once
// per carrier. Keys are named relative to the tenant:
// "routes.cmcc[1].agg: …".
func (r Routes) validateForm(p *problems) {
	for _, carrier := range slices.Sorted(maps.Keys(r)) {
		key := "routes." + carrier
		if carrier != RouteAnyCarrier && !carrierpkg.Valid(carrier) {
			p.add(key, "unknown carrier %q: must be one of %v or %q", carrier, carrierpkg.All, RouteAnyCarrier)
			continue
		}
		groups := r[carrier]
		if len(groups) == 0 {
			p.add(key, "at least one group")
		}
		seen := map[string]int{}
		for gi, g := range groups {
			gkey := fmt.Sprintf("%s[%d]", key, gi)
			if len(g) == 0 {
				p.add(gkey, "empty group: at least one channel")
			}
			if len(g) > MaxRouteGroup {
				p.add(gkey, "at most %d channels", MaxRouteGroup)
			}
			for _, name := range g.Members() {
				ckey := gkey + "." + name
				if !ValidName(name) {
					p.add(ckey, "%s", nameRule)
				}
				if w := g[name]; w < 1 || w > MaxRouteWeight {
					p.add(ckey, "weight must be 1..%d, not %d", MaxRouteWeight, w)
				}
				if j, dup := seen[name]; dup {
					p.add(ckey, "channel %q is already in group %d of this carrier's route", name, j)
				}
				seen[name] = gi
			}
		}
	}
}

// checkRoutes checks t's routes against the set: every routed channel
// exists, is not deleted, is one of t's channels and reaches the route's
// carrier. bad reports a problem under key (relative to the tenant).
func checkRoutes(t *Tenant, channels []Channel, chans map[string]int, bad func(key, msg string)) {
	for _, carrier := range slices.Sorted(maps.Keys(t.Routes)) {
		for gi, g := range t.Routes[carrier] {
			for _, name := range g.Members() {
				key := fmt.Sprintf("routes.%s[%d].%s", carrier, gi, name)
				j, ok := chans[name]
				switch {
				case !ok:
					bad(key, fmt.Sprintf("unknown channel %q", name))
				case channels[j].Deleted():
					bad(key, fmt.Sprintf("channel %q is deleted", name))
				case !t.Allows(name):
					bad(key, fmt.Sprintf("channel %q is not in the tenant's channels", name))
				case carrier != RouteAnyCarrier && !channels[j].Reaches(carrier):
					bad(key, fmt.Sprintf("channel %q does not reach carrier %s (its carriers: %v)", name, carrier, channels[j].Carriers))
				}
			}
		}
	}
}
