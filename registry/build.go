package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
)

// NewSnapshot indexes tenants and channels (as stored; already validated)
// at version. Tenants without a usable key simply cannot authenticate.
func NewSnapshot(version int64, tenants []Tenant, channels []Channel) *Snapshot {
	s := &Snapshot{
		Version:  version,
		tenants:  make(map[string]*Tenant, len(tenants)),
		deleted:  map[string]*Tenant{},
		keys:     map[[sha256.Size]byte]keyRef{},
		channels: make(map[string]*Channel, len(channels)),
		locs:     make(map[string]*time.Location, len(tenants)),
		cmpp:     map[string]*Tenant{},
	}
	for i := range tenants {
		t := &tenants[i]
		if loc, err := loadLocation(t.TimeZone); err == nil {
			s.locs[t.Name] = loc
		}
		if t.Deleted() {
			s.deleted[t.Name] = t
			continue
		}
		s.tenants[t.Name] = t
		s.order = append(s.order, t)
		if t.CMPP != nil && t.CMPP.Account != "" {
			// CheckSet keeps accounts unique; should stored records ever
			// disagree, the first tenant by name keeps the account.
			if cur, dup := s.cmpp[t.CMPP.Account]; !dup || t.Name < cur.Name {
				s.cmpp[t.CMPP.Account] = t
			}
		}
		for _, k := range t.State.Keys {
			if sum, ok := decodeSum(strings.ToLower(k.SHA256)); ok {
				s.keys[sum] = keyRef{tenant: t, keyID: k.ID}
			}
		}
	}
	slices.SortFunc(s.order, func(a, b *Tenant) int { return strings.Compare(a.Name, b.Name) })
	for i := range channels {
		c := &channels[i]
		s.channels[c.Name] = c
		s.chanOrder = append(s.chanOrder, c)
	}
	slices.SortFunc(s.chanOrder, func(a, b *Channel) int { return strings.Compare(a.Name, b.Name) })
	return s
}

func decodeSum(h string) (sum [sha256.Size]byte, ok bool) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return sum, false
	}
	copy(sum[:], b)
	return sum, true
}

var (
	locMu    sync.Mutex
	locCache = map[string]*time.Location{}
)

// loadLocation loads an IANA zone ("" = DefaultTimeZone), cached.
func loadLocation(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultTimeZone
	}
	locMu.Lock()
	defer locMu.Unlock()
	if l := locCache[name]; l != nil {
		return l, nil
	}
	if name == "Local" {
		// The host's zone: replicas on different hosts would count a
		// tenant's days differently.
		return nil, errors.New(`"Local" is each host's zone; name an IANA zone`)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locCache[name] = l
	return l, nil
}

// defaultLocation is DefaultTimeZone, or a fixed UTC+8 when the zone
// database is missing (Asia/Shanghai has had no daylight saving since
// 1991).
func defaultLocation() *time.Location {
	if l, err := loadLocation(DefaultTimeZone); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}
