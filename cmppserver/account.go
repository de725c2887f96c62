package cmppserver

import "github.com/smsbridge/smsbridge/registry"

// lookupAccount finds the non-deleted tenant with CMPP account account.
func lookupAccount(snap *registry.Snapshot, account string) (*registry.Tenant, bool) {
	if snap == nil || account == "" {
		return nil, false
	}
	return snap.CMPPAccount(account)
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
	case !t.CMPP.AllowsAddr(l.remote.Addr()):
		return "address no longer allowed"
	}
	return ""
}
