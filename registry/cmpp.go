package registry

import (
	"fmt"
	"net/netip"
	"strings"
)

// CMPPAccess lets a tenant's own CMPP client log in to smsbridge's CMPP
// server (cmpp_server.addr): an item's `cmpp` block in config and in the
// admin tenant bodies. Nil: the tenant has no CMPP access.
type CMPPAccess struct {
	// Account is the login Source_Addr: 1..6 ASCII letters or digits,
	// unique among tenants that are not deleted.
	Account string `yaml:"account" json:"account"`
	// Secret is the shared secret of AuthenticatorSource: required,
	// 1..MaxCMPPSecretLen bytes. Unlike webhook secrets it has no
	// MinSecretLen: customers' CMPP clients were set up for operators and
	// aggregators whose secrets are often 6 digits, so a short one is
	// accepted (allowed_ips and the failed-login throttle protect it).
	// Never returned by the API, redacted in the audit log. Changing it
	// closes the account's links on every replica.
	Secret string `yaml:"secret" json:"secret"`
	// MaxLinks bounds the account's logged-in links across all replicas:
	// 1..MaxCMPPLinks (default DefaultCMPPMaxLinks).
	MaxLinks int `yaml:"max_links" json:"max_links"`
	// MaxSubmitsPerSec answers SUBMITs above this rate, across replicas,
	// with Result 8. 0 = unlimited.
	MaxSubmitsPerSec int `yaml:"max_submits_per_sec" json:"max_submits_per_sec"`
	// AllowedIPs, when not empty, lists the only client addresses (IPs or
	// CIDR prefixes, IPv4 or IPv6) the account may log in from.
	AllowedIPs []string `yaml:"allowed_ips" json:"allowed_ips"`
	// Version is the highest protocol version the account may use: "2.0"
	// or "3.0" (default DefaultCMPPVersion). A client asking for more gets
	// Status 4.
	Version string `yaml:"version" json:"version"`
	// ServiceCode is the Src_Id prefix the account sends from (1..20
	// digits, required); an empty Src_Id means the service code itself.
	// MO messages reach the account with Dest_Id = service code +
	// extension (Tenant.CMPPDestID).
	ServiceCode string `yaml:"service_code" json:"service_code"`
}

// CMPP access defaults and bounds, stated here once.
const (
	// DefaultCMPPMaxLinks is an account's max_links when not set.
	DefaultCMPPMaxLinks = 4
	// DefaultCMPPVersion is an account's version when not set.
	DefaultCMPPVersion = "3.0"
	// MaxCMPPLinks is the largest max_links.
	MaxCMPPLinks = 1000
	// MaxCMPPSecretLen is the longest CMPP secret, in bytes.
	MaxCMPPSecretLen = 64
	// MaxCMPPAccountLen is the longest account: the Source_Addr field of
	// CMPP_CONNECT is 6 octets.
	MaxCMPPAccountLen = 6
	// MaxCMPPServiceCodeLen is the longest service code: it leaves at
	// least one digit of the 21-octet Src_Id for an extension.
	MaxCMPPServiceCodeLen = 20
	// cmppAddrLen is the width of Src_Id and Dest_Id (OS(21)).
	cmppAddrLen = 21
)

// FillDefaults applies the defaults of the block: MaxLinks
// DefaultCMPPMaxLinks and Version DefaultCMPPVersion when unset. given
// reports whether the source set a key of the block ("max_links"): a
// max_links set to 0 stays 0 (and fails Validate). A nil given treats
// every zero as left out.
func (a *CMPPAccess) FillDefaults(given func(key string) bool) {
	if given == nil {
		given = func(string) bool { return false }
	}
	setDefaultInt(&a.MaxLinks, DefaultCMPPMaxLinks, given("max_links"))
	setDefault(&a.Version, DefaultCMPPVersion)
}

// Validate checks the block (after FillDefaults) and returns every
// problem, each naming its key relative to the block ("account: …"). The
// secret is never quoted. That the account is unique is checked over the
// whole set (CheckSet).
func (a *CMPPAccess) Validate() error {
	var p problems
	if !validCMPPAccount(a.Account) {
		p.add("account", "required, 1..%d ASCII letters or digits (the login Source_Addr), not %q", MaxCMPPAccountLen, a.Account)
	}
	if a.Secret == "" || len(a.Secret) > MaxCMPPSecretLen {
		p.add("secret", "required, 1..%d bytes", MaxCMPPSecretLen)
	}
	if a.MaxLinks < 1 || a.MaxLinks > MaxCMPPLinks {
		p.add("max_links", "must be 1..%d, not %d (leave it out for the default, %d)", MaxCMPPLinks, a.MaxLinks, DefaultCMPPMaxLinks)
	}
	if a.MaxSubmitsPerSec < 0 {
		p.add("max_submits_per_sec", "must not be negative (0 = unlimited)")
	}
	for j, s := range a.AllowedIPs {
		if _, err := parseAllowedIP(s); err != nil {
			p.add(fmt.Sprintf("allowed_ips[%d]", j), "must be an IP address or a CIDR prefix (e.g. 203.0.113.7 or 203.0.113.0/24), not %q", s)
		}
	}
	if a.Version != "2.0" && a.Version != "3.0" {
		p.add("version", `must be "2.0" or "3.0", not %q`, a.Version)
	}
	if a.ServiceCode == "" || len(a.ServiceCode) > MaxCMPPServiceCodeLen || !digits(a.ServiceCode) {
		p.add("service_code", "required, 1..%d digits (the Src_Id prefix), not %q", MaxCMPPServiceCodeLen, a.ServiceCode)
	}
	return p.err()
}

// validCMPPAccount reports whether s is 1..MaxCMPPAccountLen ASCII
// letters or digits.
func validCMPPAccount(s string) bool {
	if s == "" || len(s) > MaxCMPPAccountLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// parseAllowedIP reads an allowed_ips item: an address is the prefix of
// that one address; a CIDR prefix is masked (10.1.2.3/8 is 10.0.0.0/8).
// IPv4-mapped IPv6 forms are read as IPv4.
func parseAllowedIP(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("zoned address %q", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AllowsAddr reports whether a client at addr may log in: true when
// AllowedIPs is empty, else when addr is in one of its items. An
// IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4
// client) is matched as the IPv4 address; a zone is ignored. Items that
// do not parse (Validate refuses them) match nothing.
func (a *CMPPAccess) AllowsAddr(addr netip.Addr) bool {
	if len(a.AllowedIPs) == 0 {
		return true
	}
	addr = addr.WithZone("").Unmap()
	for _, s := range a.AllowedIPs {
		if p, err := parseAllowedIP(s); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

// CMPPDestID is the Dest_Id of an MO DELIVER to the tenant's CMPP
// account: its service code followed by the part of the MO's extension
// (ext, the digits after the channel's src_id, as Snapshot.RouteMO
// returns it) that comes after the tenant's MOExt. An extension that does
// not start with MOExt (the tenant took the message as the default
// tenant) is appended whole. The result is cut to the 21 octets of
// Dest_Id. "" when the tenant has no CMPP access.
//
// Example: channel src_id 1065800001, tenant mo_ext 12, service code
// 106900; an MO to 10658000011234 has ext 1234 and reaches the account
// with Dest_Id 10690034.
func (t *Tenant) CMPPDestID(ext string) string {
	if t.CMPP == nil {
		return ""
	}
	d := t.CMPP.ServiceCode + strings.TrimPrefix(ext, t.MOExt)
	if len(d) > cmppAddrLen {
		d = d[:cmppAddrLen]
	}
	return d
}
