package netguard

import (
	"net/netip"
)

// ForbiddenError is a destination the policy refuses. Its message names the
// destination and the reason, e.g.
// "callback address forbidden: 127.0.0.1 is loopback".
type ForbiddenError struct {
	// Target is the refused host or address as written (an address with
	// its port at connect time).
	Target string
	// Reason completes "<Target> is …", e.g. "loopback".
	Reason string
	// NotListed is true when the host is refused because it matches no
	// entry of Policy.Hosts (not because of its address).
	NotListed bool
}

// Error implements error.
func (e *ForbiddenError) Error() string {
	return "callback address forbidden: " + e.Target + " is " + e.Reason
}

// rangeRule is one refused address range.
type rangeRule struct {
	prefix netip.Prefix
	reason string
}

// refused4 are the IPv4 ranges no webhook may reach. The first match names
// the reason, so narrower ranges come before wider ones.
var refused4 = []rangeRule{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (0.0.0.0/8)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT, 100.64.0.0/10)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata lives here)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},
}

// refused6 are the IPv6 ranges no webhook may reach (embedded IPv4
// addresses are checked separately, see embedded4).
var refused6 = []rangeRule{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)"},
	{netip.MustParsePrefix("fc00::/7"), "unique local (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Translation prefixes whose addresses carry an IPv4 address that decides.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: v4 in the last 32 bits
	sixTo4 = netip.MustParsePrefix("2002::/16")    // RFC 3056: v4 in bits 16..47
	teredo = netip.MustParsePrefix("2001::/32")    // RFC 4380: client v4 inverted in the last 32 bits
)

// CheckAddr returns a *ForbiddenError when a is not a public unicast
// address: loopback, private (RFC 1918, RFC 4193), link-local (cloud
// metadata included), unspecified, CGNAT, multicast, broadcast, reserved,
// an IPv6 address with a zone, or an IPv4-mapped, NAT64, 6to4 or Teredo
// address whose IPv4 address is one of those. It returns nil otherwise.
func CheckAddr(a netip.Addr) error {
	if reason := refusal(a); reason != "" {
		return &ForbiddenError{Target: a.String(), Reason: reason}
	}
	return nil
}

// refusal returns why a is refused, "" when it is not.
func refusal(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "not an IP address"
	case a.Zone() != "":
		return "a scoped IPv6 address (zone " + a.Zone() + ")"
	case a.Is4In6():
		if r := refusal(a.Unmap()); r != "" {
			return r + " (IPv4-mapped)"
		}
		return ""
	case a.Is4():
		return match(refused4, a)
	}
	if r := match(refused6, a); r != "" {
		return r
	}
	if v4, how, ok := embedded4(a); ok {
		if r := refusal(v4); r != "" {
			return r + " (" + how + " of " + v4.String() + ")"
		}
	}
	return ""
}

// match returns the reason of the first rule containing a.
func match(rules []rangeRule, a netip.Addr) string {
	for _, r := range rules {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	return ""
}

// embedded4 returns the IPv4 address a NAT64, 6to4 or Teredo address a
// leads to, and which kind it is.
func embedded4(a netip.Addr) (netip.Addr, string, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), "NAT64", true
	case sixTo4.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), "6to4", true
	case teredo.Contains(a):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo", true
	}
	return netip.Addr{}, "", false
}
