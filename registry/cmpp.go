package registry

// CMPPAccess lets a tenant's own CMPP client log in to smsbridge's CMPP
// server (cmpp_server.addr): an item's `cmpp` block in config and in the
// admin tenant bodies. Nil: the tenant has no CMPP access.
type CMPPAccess struct {
	// Account is the login Source_Addr: 1..6 ASCII letters or digits,
	// unique among tenants.
	Account string `yaml:"account" json:"account"`
	// Secret is the shared secret of AuthenticatorSource. Required; never
	// returned by the API, redacted in the audit log. Changing it closes
	// the account's links on every replica.
	Secret string `yaml:"secret" json:"secret"`
	// MaxLinks bounds the account's logged-in links across all replicas
	// (default DefaultCMPPMaxLinks).
	MaxLinks int `yaml:"max_links" json:"max_links"`
	// MaxSubmitsPerSec answers SUBMITs above this rate, across replicas,
	// with Result 8. 0 = unlimited.
	MaxSubmitsPerSec int `yaml:"max_submits_per_sec" json:"max_submits_per_sec"`
	// AllowedIPs, when not empty, lists the only client addresses (IPs or
	// CIDR prefixes) the account may log in from.
	AllowedIPs []string `yaml:"allowed_ips" json:"allowed_ips"`
	// Version is the highest protocol version the account may use: "2.0"
	// or "3.0" (default "3.0"). A client asking for more gets Status 4.
	Version string `yaml:"version" json:"version"`
	// ServiceCode is the Src_Id prefix the account sends from (digits,
	// 1..20); an empty Src_Id means the service code itself.
	ServiceCode string `yaml:"service_code" json:"service_code"`
}

// CMPP access defaults, stated here once.
const (
	// DefaultCMPPMaxLinks is an account's max_links when not set.
	DefaultCMPPMaxLinks = 4
	// DefaultCMPPVersion is an account's version when not set.
	DefaultCMPPVersion = "3.0"
)
