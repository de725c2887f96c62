package cmppserver

import (
	"net/netip"
	"strings"

	"github.com/smsbridge/smsbridge/registry"
)

// lookupAccount finds the non-deleted tenant with CMPP account account.
// TODO(#11 merge): use Snapshot.CMPPAccount once registry has it.
func lookupAccount(snap *registry.Snapshot, account string) (*registry.Tenant, bool) {
	if snap == nil || account == "" {
		return nil, false
	}
	for _, t := range snap.Tenants() {
		if t.CMPP != nil && !t.Deleted() && t.CMPP.Account == account {
			return t, true
		}
	}
	return nil, false
}

// allowsAddr reports whether acc admits a client at addr (an empty list
// admits every address).
// TODO(#11 merge): use CMPPAccess.AllowsAddr once registry has it.
func allowsAddr(acc *registry.CMPPAccess, addr netip.Addr) bool {
	if len(acc.AllowedIPs) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, s := range acc.AllowedIPs {
		if strings.Contains(s, "/") {
			if p, err := netip.ParsePrefix(s); err == nil && p.Contains(addr) {
				return true
			}
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Unmap() == addr {
			return true
		}
	}
	return false
}

// stale returns why l may no longer stay logged in under snap ("" when
// it may).
func (s *Server) stale(l *link, snap *registry.Snapshot) string {
	t, ok := lookupAccount(snap, l.account)
	switch {
	case !ok:
		return "account removed"
	case t.Name != l.tenant:
		return "account moved to another tenant"
	case t.Disabled:
		return "tenant disabled"
	case t.CMPP.Secret != l.secret:
		return "account secret changed"
	case !allowsAddr(t.CMPP, l.remote.Addr()):
		return "address no longer allowed"
	}
	return ""
}
