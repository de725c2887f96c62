package netguard

import (
	"net/netip"
	"syscall"
)

// DialControl is a net.Dialer Control function that refuses, with a
// *ForbiddenError, every connection whose resolved address fails
// CheckAddr or whose port is 0, and anything but TCP. It runs after name
// resolution, for each address tried, so a name — or a DNS answer that
// changes between the URL check and the connection (rebinding) — cannot
// lead to an address CheckURL would refuse. An address it cannot parse is
// refused (fail closed).
func DialControl(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return &ForbiddenError{Target: address, Reason: "not a TCP destination (" + network + ")"}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &ForbiddenError{Target: address, Reason: "not an IP address and port"}
	}
	if ap.Port() == 0 {
		return &ForbiddenError{Target: address, Reason: "port 0"}
	}
	if err := CheckAddr(ap.Addr()); err != nil {
		return err
	}
	return nil
}
