package carrier

// The carrier codes: config (channels[].carriers, tenants[].routes,
// carriers.ranges), the portability import and the lookup hook all use
// them. "" means unknown.
const (
	// CMCC is China Mobile (中国移动).
	CMCC = "cmcc"
	// CUCC is China Unicom (中国联通).
	CUCC = "cucc"
	// CTCC is China Telecom (中国电信).
	CTCC = "ctcc"
	// CBN is China Broadnet (中国广电).
	CBN = "cbn"
	// Unknown is the code of a number no range, override or lookup places.
	Unknown = ""
)

// All lists every carrier code, in a fixed order.
var All = []string{CMCC, CUCC, CTCC, CBN}

// Valid reports whether code is one of All ("" is not valid: it is the
// absence of a carrier, not a carrier).
func Valid(code string) bool {
	switch code {
	case CMCC, CUCC, CTCC, CBN:
		return true
	}
	return false
}

// Name returns the English name of a carrier code ("unknown" for anything
// else), for documentation and error messages.
func Name(code string) string {
	switch code {
	case CMCC:
		return "China Mobile"
	case CUCC:
		return "China Unicom"
	case CTCC:
		return "China Telecom"
	case CBN:
		return "China Broadnet"
	}
	return "unknown"
}
