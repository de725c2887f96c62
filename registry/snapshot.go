package registry

import (
	"crypto/sha256"
	"strings"
	"time"
)

// Snapshot is every account at one stored version. It is immutable: the
// registry replaces it as a whole, so readers keep a pointer for as long
// as they need a consistent view, with no lock.
type Snapshot struct {
	// Version is the stored version it was read at.
	Version int64
	// tenants by name, deleted ones left out; order is by name.
	tenants map[string]*Tenant
	order   []*Tenant
	// deleted tenants by name.
	deleted map[string]*Tenant
	// keys maps the SHA-256 of every live API key to its tenant and key.
	keys map[[sha256.Size]byte]keyRef
	// channels by name, deleted ones included; chanOrder by name.
	channels  map[string]*Channel
	chanOrder []*Channel
	// locs caches each tenant's time zone.
	locs map[string]*time.Location
	// cmpp maps the CMPP account of every tenant that is not deleted to
	// the tenant.
	cmpp map[string]*Tenant
}

type keyRef struct {
	tenant *Tenant
	keyID  string
}

// Authenticate returns the tenant and key id of API key key. A disabled
// tenant is returned (ok true) so the caller can say so; an unknown key
// gives ok false. The lookup is a map access on the key's SHA-256, so its
// time says nothing useful about other keys.
func (s *Snapshot) Authenticate(key string) (t *Tenant, keyID string, ok bool) {
	ref, ok := s.keys[sha256.Sum256([]byte(key))]
	if !ok {
		return nil, "", false
	}
	return ref.tenant, ref.keyID, true
}

// Tenant returns the tenant called name; a deleted tenant is not found
// (see TenantForWebhooks).
func (s *Snapshot) Tenant(name string) (*Tenant, bool) {
	t, ok := s.tenants[name]
	return t, ok
}

// TenantForWebhooks returns the tenant called name, deleted or not: the
// webhook dispatcher still signs (and the sender still sends) what a
// deleted tenant queued. Check Deleted before anything else.
func (s *Snapshot) TenantForWebhooks(name string) (*Tenant, bool) {
	if t, ok := s.tenants[name]; ok {
		return t, true
	}
	t, ok := s.deleted[name]
	return t, ok
}

// CMPPAccount returns the tenant whose CMPP access has account (the
// login Source_Addr), among tenants that are not deleted. A disabled
// tenant is returned (ok true) so the caller can refuse it; an unknown
// account gives ok false. The lookup is one map access.
func (s *Snapshot) CMPPAccount(account string) (*Tenant, bool) {
	t, ok := s.cmpp[account]
	return t, ok
}

// Tenants returns every tenant that is not deleted, by name. The slice
// must not be changed.
func (s *Snapshot) Tenants() []*Tenant { return s.order }

// Location returns the time zone of tenant t (DefaultTimeZone's when its
// zone cannot be loaded, which validation prevents).
func (s *Snapshot) Location(t *Tenant) *time.Location {
	if l := s.locs[t.Name]; l != nil {
		return l
	}
	return defaultLocation()
}

// Channel returns the channel called name, deleted or not.
func (s *Snapshot) Channel(name string) (*Channel, bool) {
	c, ok := s.channels[name]
	return c, ok
}

// Channels returns every channel that is not deleted, by name: those the
// senders run.
func (s *Snapshot) Channels() []*Channel {
	out := make([]*Channel, 0, len(s.chanOrder))
	for _, c := range s.chanOrder {
		if !c.Deleted() {
			out = append(out, c)
		}
	}
	return out
}

// ChannelNamesWithData returns the name of every channel, deleted ones
// included: their Redis slots may still hold queued segments, reports to
// await and webhooks to send, so the maintainer and the dispatcher keep
// serving them.
func (s *Snapshot) ChannelNamesWithData() []string {
	out := make([]string, len(s.chanOrder))
	for i, c := range s.chanOrder {
		out[i] = c.Name
	}
	return out
}

// RouteMO picks the tenant of an MO message received on channel for
// Dest_Id dest, and returns dest's extension (the digits after the
// channel's service code, "" when there are none): the tenant allowed on
// channel whose non-empty MOExt is the longest prefix of the extension,
// else the default tenant, whatever its channels. ok is false when no
// tenant takes the message.
func (s *Snapshot) RouteMO(channel, dest string) (tenant, ext string, ok bool) {
	if ch := s.channels[channel]; ch != nil && ch.SrcID != "" && strings.HasPrefix(dest, ch.SrcID) {
		ext = dest[len(ch.SrcID):]
	}
	var best, dflt *Tenant
	for _, t := range s.order {
		if t.Default && dflt == nil {
			dflt = t
		}
		if t.MOExt != "" && t.Allows(channel) && strings.HasPrefix(ext, t.MOExt) &&
			(best == nil || len(t.MOExt) > len(best.MOExt)) {
			best = t
		}
	}
	if best == nil {
		best = dflt
	}
	if best == nil {
		return "", ext, false
	}
	return best.Name, ext, true
}
