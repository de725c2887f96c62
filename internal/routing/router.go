package routing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/registry"
)

// Deps are the Router's injected dependencies.
type Deps struct {
	// Snapshot returns the registry's current snapshot (Route uses it;
	// RouteIn takes one). Required for Route.
	Snapshot func() *registry.Snapshot
	// Carriers returns the carrier code of each number ("" = unknown),
	// one per number, in order (the carrier package's Resolver). nil:
	// every carrier is unknown (every channel reaches every number).
	Carriers func(ctx context.Context, numbers []string) ([]string, error)
	// Down reports whether a channel is failed over (the failover
	// package's health). nil: every channel is up.
	Down func(channel string) bool
}

// ErrChannel is a named channel that does not exist, is deleted or is not
// one of the tenant's (callers check this first to give their own error).
var ErrChannel = errors.New("routing: channel not usable by the tenant")

// Router picks each recipient's channel (see the package doc). Safe for
// concurrent use.
type Router struct {
	d     Deps
	cache atomic.Pointer[planCache]
}

// planCache holds the plans compiled on one snapshot version, by tenant
// name.
type planCache struct {
	version int64
	plans   sync.Map // string → *plan
}

// New returns a Router on d.
func New(d Deps) *Router {
	r := &Router{d: d}
	r.cache.Store(&planCache{version: -1})
	return r
}

// Route routes numbers of tenant t on the current snapshot (RouteIn).
func (r *Router) Route(ctx context.Context, t *registry.Tenant, numbers []string, named string) ([]string, error) {
	return r.RouteIn(ctx, r.d.Snapshot(), t, numbers, named)
}

// RouteIn returns the channel of each of numbers (same order) for tenant
// t on snap. named, when not "", is the channel the request names: it
// must be t's (else ErrChannel) and reach every number's carrier. A
// number no channel reaches gives a *NoRouteError; a failed carrier
// lookup its error.
func (r *Router) RouteIn(ctx context.Context, snap *registry.Snapshot, t *registry.Tenant, numbers []string, named string) ([]string, error) {
	out := make([]string, len(numbers))
	if named != "" {
		ch, ok := snap.Channel(named)
		if !ok || ch.Deleted() || !t.Allows(named) {
			return nil, fmt.Errorf("%w: %q", ErrChannel, named)
		}
		if len(ch.Carriers) > 0 {
			carriers, err := r.carriers(ctx, numbers)
			if err != nil {
				return nil, err
			}
			for i, c := range carriers {
				if !ch.Reaches(c) {
					return nil, &NoRouteError{Index: i, Carrier: c, Channel: named}
				}
			}
		}
		for i := range out {
			out[i] = named
		}
		return out, nil
	}
	p := r.plan(snap, t)
	var carriers []string
	if p.needCarrier {
		var err error
		if carriers, err = r.carriers(ctx, numbers); err != nil {
			return nil, err
		}
	}
	for i := range numbers {
		c := ""
		if carriers != nil {
			c = carriers[i]
		}
		ch := r.pick(p, c)
		if ch == "" {
			return nil, &NoRouteError{Index: i, Carrier: c}
		}
		out[i] = ch
	}
	return out, nil
}

// carriers calls Deps.Carriers and checks its answer.
func (r *Router) carriers(ctx context.Context, numbers []string) ([]string, error) {
	if r.d.Carriers == nil {
		return make([]string, len(numbers)), nil
	}
	cs, err := r.d.Carriers(ctx, numbers)
	if err != nil {
		return nil, fmt.Errorf("routing: carrier lookup: %w", err)
	}
	if len(cs) != len(numbers) {
		return nil, fmt.Errorf("routing: carrier lookup returned %d carriers for %d numbers", len(cs), len(numbers))
	}
	return cs, nil
}

// plan returns t's plan on snap, compiled once per snapshot version.
func (r *Router) plan(snap *registry.Snapshot, t *registry.Tenant) *plan {
	c := r.cache.Load()
	if c.version != snap.Version {
		if snap.Version < c.version {
			return compile(snap, t) // an older snapshot still in use: not cached
		}
		nc := &planCache{version: snap.Version}
		if !r.cache.CompareAndSwap(c, nc) {
			return compile(snap, t)
		}
		c = nc
	}
	if v, ok := c.plans.Load(t.Name); ok && v.(*plan).tenant == t {
		return v.(*plan)
	}
	p := compile(snap, t)
	if cur, ok := snap.Tenant(t.Name); !ok || cur != t {
		return p // t is not snap's record (an older one): not cached
	}
	if v, loaded := c.plans.LoadOrStore(t.Name, p); loaded && v.(*plan).tenant == t {
		return v.(*plan)
	}
	return p
}

// down reports whether channel is failed over.
func (r *Router) down(channel string) bool { return r.d.Down != nil && r.d.Down(channel) }

// pick returns the channel of one number of carrier c ("" when none).
func (r *Router) pick(p *plan, c string) string {
	gs, ok := p.routes[c]
	if !ok || c == "" {
		gs, ok = p.routes[registry.RouteAnyCarrier]
	}
	if !ok {
		return defaultRule(p, c)
	}
	fallback, fbMask := -1, uint64(0)
	for gi, g := range gs {
		var reach, up uint64
		for i, ch := range g.chans {
			if ch.Reaches(c) {
				reach |= 1 << i
				if !r.down(ch.Name) {
					up |= 1 << i
				}
			}
		}
		if up != 0 {
			return g.names[g.wrr.pick(up)]
		}
		if reach != 0 && fallback < 0 {
			fallback, fbMask = gi, reach
		}
	}
	if fallback >= 0 { // every group down: queue on the first that reaches c
		g := gs[fallback]
		return g.names[g.wrr.pick(fbMask)]
	}
	return ""
}

// defaultRule is the routing of a tenant without a route for c: its
// default channel if it reaches c, else its first channel that does.
func defaultRule(p *plan, c string) string {
	if p.dflt != nil && p.dflt.Reaches(c) {
		return p.dflt.Name
	}
	for _, ch := range p.allowed {
		if ch.Reaches(c) {
			return ch.Name
		}
	}
	return ""
}

// RerouteTimeout bounds the carrier lookup of one Reroute call.
const RerouteTimeout = 5 * time.Second

// Reroute returns the channel of each of numbers of tenant as a new
// request of theirs would be routed now (failed-over channels skipped):
// the target of the failover mover (failover.Config.Reroute). A number
// that cannot be routed now (unknown or deleted tenant, no route, failed
// carrier lookup) gets "": it stays where it is. So does a number whose
// every group is down: naming another down channel of the first group (as
// Route does, to queue a new request) would have the movers of two down
// channels hand it back and forth.
func (r *Router) Reroute(tenant string, numbers []string) []string {
	out := r.reroute(tenant, numbers)
	for i, ch := range out {
		if ch != "" && r.down(ch) {
			out[i] = ""
		}
	}
	return out
}

// reroute routes numbers of tenant as Route would ("" = no route now).
func (r *Router) reroute(tenant string, numbers []string) []string {
	out := make([]string, len(numbers))
	snap := r.d.Snapshot()
	t, ok := snap.Tenant(tenant)
	if !ok {
		return out
	}
	ctx, cancel := context.WithTimeout(context.Background(), RerouteTimeout)
	defer cancel()
	// Route one by one only when the whole batch cannot be routed: one
	// number without a route must not keep the others where they are.
	if chans, err := r.RouteIn(ctx, snap, t, numbers, ""); err == nil {
		return chans
	}
	for i, n := range numbers {
		if chans, err := r.RouteIn(ctx, snap, t, []string{n}, ""); err == nil {
			out[i] = chans[0]
		}
	}
	return out
}
