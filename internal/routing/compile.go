package routing

import (
	"github.com/smsbridge/smsbridge/registry"
)

// plan is a tenant's routing compiled against one snapshot: immutable but
// for the round-robin state of its groups.
type plan struct {
	tenant *registry.Tenant
	// routes by carrier code or registry.RouteAnyCarrier.
	routes map[string][]*group
	// allowed are the tenant's channels that exist and are not deleted,
	// the default first when it qualifies (the default rule).
	allowed []*registry.Channel
	// dflt is the tenant's default channel (nil when it is unusable).
	dflt *registry.Channel
	// needCarrier is false when no recipient's channel can depend on its
	// carrier: Route then makes no carrier lookup.
	needCarrier bool
}

// group is one route group: members in a stable order with their
// channels and weights.
type group struct {
	names []string
	chans []*registry.Channel
	wrr   *wrr
}

// compile builds t's plan on snap. Channels missing from snap or deleted
// are left out of groups (validation keeps routes to live channels; a
// snapshot mid-change may still differ).
func compile(snap *registry.Snapshot, t *registry.Tenant) *plan {
	p := &plan{tenant: t, routes: make(map[string][]*group, len(t.Routes))}
	for _, name := range t.Channels {
		ch, ok := snap.Channel(name)
		if !ok || ch.Deleted() {
			continue
		}
		if name == t.DefaultChannel() {
			p.dflt = ch
		}
		p.allowed = append(p.allowed, ch)
	}
	for carrier, groups := range t.Routes {
		if carrier != registry.RouteAnyCarrier {
			p.needCarrier = true
		}
		var gs []*group
		for _, rg := range groups {
			g := &group{}
			var weights []int
			for _, name := range rg.Members() {
				ch, ok := snap.Channel(name)
				if !ok || ch.Deleted() || !t.Allows(name) {
					continue
				}
				if len(ch.Carriers) > 0 {
					p.needCarrier = true
				}
				g.names = append(g.names, name)
				g.chans = append(g.chans, ch)
				weights = append(weights, rg[name])
			}
			if len(g.names) == 0 || len(g.names) > maxGroup {
				continue
			}
			g.wrr = newWRR(weights)
			gs = append(gs, g)
		}
		p.routes[carrier] = gs
	}
	if _, ok := p.routes[registry.RouteAnyCarrier]; !ok && p.dflt != nil && len(p.dflt.Carriers) > 0 {
		p.needCarrier = true // the default rule looks for another channel
	}
	return p
}

// maxGroup is the most channels of a group the router handles (a bit
// mask); registry.MaxRouteGroup keeps routes within it.
const maxGroup = 64
