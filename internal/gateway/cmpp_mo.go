package gateway

// cmppMO is the senders' CMPP MO router (sender.Deps.CMPPMO): the tenant
// an MO message on channel for dest is routed to (Snapshot.RouteMO, the
// same routing as the webhook path) takes it over CMPP when it is not
// deleted and has CMPP access; the DELIVER to its account has Dest_Id
// service code + extension (Tenant.CMPPDestID). Otherwise ok is false and
// the MO becomes an sms.mo event as before. It reads the current
// snapshot: no lock, no I/O.
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
	return t.CMPP.Account, t.CMPPDestID(ext), true
}
