package netguard

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Policy is where one tenant's webhooks may go.
type Policy struct {
	// AllowPrivate turns the address check off: loopback, private and
	// link-local receivers are allowed (config
	// webhook.allow_private_networks; the demo's receiver is on loopback).
	AllowPrivate bool
	// Hosts, when not empty, lists the only hosts a callback URL may name
	// (config tenants[].webhook_hosts): "hooks.example.com" matches that
	// name only, "*.example.com" any name below example.com (not
	// example.com itself), an IP address that address. It narrows the
	// address check, never widens it.
	Hosts []string
}

// ErrInvalidURL is wrapped by the errors of CheckURL for a URL that is not
// an absolute http(s) URL with a host and a port in 1..65535.
var ErrInvalidURL = errors.New("invalid callback URL")

// CheckURL checks a callback URL against p before anything is sent: it
// must be an absolute http or https URL with a host and, when given, a port
// in 1..65535 (else an error wrapping ErrInvalidURL); a host written as an
// IP address must pass CheckAddr and the name "localhost" (and names under
// it) is refused unless p.AllowPrivate; when p.Hosts is set the host must
// match one of its patterns (else a *ForbiddenError). Other names pass
// here: the address they resolve to is checked at connect time
// (DialControl).
func CheckURL(raw string, p Policy) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidURL, errors.Unwrap(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return fmt.Errorf("%w: no host", ErrInvalidURL)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: port %s is not in 1..65535", ErrInvalidURL, port)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("%w: empty port", ErrInvalidURL)
	}
	addr, isIP := parseHostIP(host)
	if !isIP && numericHost(host) {
		return fmt.Errorf("%w: host %q is a numeric address in a non-standard form", ErrInvalidURL, host)
	}
	if !p.AllowPrivate {
		switch {
		case isIP:
			if err := CheckAddr(addr); err != nil {
				return err
			}
		case host == "localhost" || strings.HasSuffix(host, ".localhost"):
			return &ForbiddenError{Target: host, Reason: "a loopback name"}
		}
	}
	if len(p.Hosts) > 0 && !matchHosts(p.Hosts, host, addr, isIP) {
		return &ForbiddenError{Target: host, Reason: "not in the tenant's webhook_hosts", NotListed: true}
	}
	return nil
}

// parseHostIP parses a URL host (brackets already removed by Hostname) as
// an IP address, with an IPv6 zone if any.
func parseHostIP(host string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

// numericHost reports whether host is not an IP address in standard form
// but would be read as one by some resolvers ("127.1", "2130706433",
// "0x7f.0.0.1", "0177.0.0.1"): its last label is all digits or a 0x hex
// number, which no DNS top-level domain is.
func numericHost(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if h, ok := strings.CutPrefix(last, "0x"); ok {
		return isHex(h)
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// matchHosts reports whether host matches one of patterns (each valid
// per ValidHostPattern).
func matchHosts(patterns []string, host string, addr netip.Addr, isIP bool) bool {
	for _, pat := range patterns {
		pat = strings.ToLower(strings.TrimSuffix(pat, "."))
		if isIP {
			if pa, err := netip.ParseAddr(strings.Trim(pat, "[]")); err == nil && pa == addr {
				return true
			}
			continue
		}
		if suffix, ok := strings.CutPrefix(pat, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == pat {
			return true
		}
	}
	return false
}

// ValidHostPattern checks one entry of a webhook host allowlist (see
// Policy.Hosts): a DNS name ("hooks.example.com"), a wildcard over the
// names below a domain ("*.example.com"), or an IP address.
func ValidHostPattern(pat string) error {
	if _, err := netip.ParseAddr(strings.Trim(pat, "[]")); err == nil {
		return nil
	}
	name := strings.TrimSuffix(strings.TrimPrefix(pat, "*."), ".")
	if name == "" || len(name) > 253 || strings.Contains(name, "*") {
		return fmt.Errorf("%q is not a host name, *.domain or IP address", pat)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a host name, *.domain or IP address", pat)
		}
		for i := 0; i < len(label); i++ {
			c := label[i] | 0x20 // ASCII lower case
			if !(c >= 'a' && c <= 'z' || label[i] >= '0' && label[i] <= '9' || label[i] == '-' || label[i] == '_') {
				return fmt.Errorf("%q is not a host name, *.domain or IP address (label %q)", pat, label)
			}
		}
	}
	if numericHost(strings.ToLower(name)) {
		return fmt.Errorf("%q is a numeric address in a non-standard form", pat)
	}
	return nil
}
