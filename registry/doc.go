// Package registry is the one owner of smsbridge's accounts: tenants (the
// customers: authentication, allowed channels, MO routing, webhook target
// and secrets, limits, weight, CMPP access for their own CMPP clients) and
// channels (the operator accounts the links log in to).
//
// Accounts live in Redis, shared by every replica. Those in config.yaml
// are imported at start and marked as managed by config (read-only
// through the admin API); those created through the admin API persist
// across restarts. Each replica keeps an immutable Snapshot of all of
// them, replaced as a whole when the stored version changes (pub/sub,
// with a periodic version check so a lost message heals), so readers on
// the hot path (authentication, the sender, the webhook dispatcher) take
// no lock and make no Redis call; the CMPP server finds an account's
// tenant there too (Snapshot.CMPPAccount).
package registry
