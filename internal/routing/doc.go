// Package routing picks the channel of each recipient of a request: the
// Router applies the tenant's routes (registry.Routes) by the carrier of
// each number, skipping channels that are down, and shares a group's
// traffic by weight.
//
// Per recipient: its carrier (Deps.Carriers) → the tenant's route for that
// carrier, else its "*" route, else the default rule (the tenant's default
// channel if it reaches the carrier, else the first allowed channel that
// does) → the first group with a channel that reaches the carrier and is
// not down → within the group, a smooth weighted round-robin among those
// channels. When every group is down, the first group with a channel that
// reaches the carrier is used anyway: the messages queue there (and move
// when failover moves them) rather than fail. A number of unknown carrier
// ("") is reached by every channel. A number no allowed channel reaches is
// refused (*NoRouteError).
//
// The round-robin state is per process, per (tenant, carrier, group): it is
// exact on each replica, so exact across replicas too. It is reset when the
// registry snapshot changes.
//
// Cost: a request whose routing cannot depend on the carrier (named or
// default channel declaring no carriers, no routes) makes no carrier
// lookup; otherwise one Deps.Carriers call per request.
//
// Files: router.go (Router, Route), compile.go (a tenant's routes compiled
// per snapshot), wrr.go (smooth weighted round-robin), errors.go.
package routing
