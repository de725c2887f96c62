package gateway

import (
	"strings"

	"github.com/smsbridge/smsbridge/registry"
)

// cmppMO is the senders' CMPP MO router (sender.Deps.CMPPMO): the tenant
// an MO message on channel for dest is routed to (Snapshot.RouteMO, the
// same routing as the webhook path) takes it over CMPP when it is not
// deleted and has CMPP access; the DELIVER to its account has Dest_Id
// service code + extension. Otherwise ok is false and the MO becomes an
// sms.mo event as before. It reads the current snapshot: no lock, no I/O.
func (s *Gateway) cmppMO(channel, dest string) (account, destID string, ok bool) {
	snap := s.reg.Snapshot()
	name, ext, ok := snap.RouteMO(channel, dest)
	if !ok {
		return "", "", false
	}
	t, ok := snap.Tenant(name) // deleted tenants are not found
	if !ok || t.CMPP == nil {
		return "", "", false
	}
	return t.CMPP.Account, cmppDestID(t, ext), true
}

// cmppDestID is a placeholder for registry's Tenant.CMPPDestID (H-reg,
// same rule): the service code followed by the extension after the
// tenant's MOExt, cut to the 21 octets of Dest_Id. Replaced by
// t.CMPPDestID(ext) once that lands.
func cmppDestID(t *registry.Tenant, ext string) string {
	d := t.CMPP.ServiceCode + strings.TrimPrefix(ext, t.MOExt)
	return d[:min(len(d), 21)]
}
