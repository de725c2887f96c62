package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	refused := map[string]string{
		// IPv4
		"0.0.0.0":         "unspecified",
		"0.1.2.3":         "unspecified",
		"10.0.0.1":        "private",
		"10.255.255.255":  "private",
		"100.64.0.1":      "CGNAT",
		"100.100.100.200": "CGNAT", // Alibaba Cloud metadata
		"100.127.255.255": "CGNAT",
		"127.0.0.1":       "loopback",
		"127.255.255.254": "loopback",
		"169.254.169.254": "link-local", // AWS/GCP/Azure metadata
		"169.254.0.1":     "link-local",
		"172.16.0.1":      "private",
		"172.31.255.255":  "private",
		"192.0.0.192":     "IETF", // Oracle Cloud metadata
		"192.168.1.1":     "private",
		"198.18.0.1":      "benchmarking",
		"224.0.0.1":       "multicast",
		"239.255.255.250": "multicast",
		"240.0.0.1":       "reserved",
		"255.255.255.255": "broadcast",
		// IPv6
		"::":                                   "unspecified",
		"::1":                                  "loopback",
		"::127.0.0.1":                          "IPv4-compatible",
		"fc00::1":                              "unique local",
		"fd00:ec2::254":                        "unique local", // AWS IPv6 metadata
		"fe80::1":                              "link-local",
		"fe80::1%eth0":                         "zone",
		"fec0::1":                              "site-local",
		"ff02::1":                              "multicast",
		"100::1":                               "discard",
		"64:ff9b:1::a00:1":                     "local-use NAT64",
		"::ffff:127.0.0.1":                     "loopback (IPv4-mapped)",
		"::ffff:10.1.2.3":                      "private (RFC 1918) (IPv4-mapped)",
		"::ffff:169.254.169.254":               "link-local",
		"::ffff:0.0.0.0":                       "unspecified",
		"64:ff9b::7f00:1":                      "loopback (NAT64 of 127.0.0.1)",
		"64:ff9b::a9fe:a9fe":                   "link-local",
		"2002:7f00:1::1":                       "loopback (6to4 of 127.0.0.1)",
		"2002:c0a8:101::1":                     "private",
		"2001:0:4136:e378:8000:63bf:80ff:fffe": "loopback (Teredo of 127.0.0.1)",
	}
	for s, want := range refused {
		err := CheckAddr(netip.MustParseAddr(s))
		var fe *ForbiddenError
		if !errors.As(err, &fe) || !strings.Contains(fe.Reason, want) {
			t.Errorf("CheckAddr(%s) = %v, want forbidden: %s", s, err, want)
		}
	}
	allowed := []string{
		"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
		"169.253.255.255", "192.167.255.255", "223.255.255.255", "11.0.0.1",
		"2001:4860:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
		"2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo of 8.8.8.8
	}
	for _, s := range allowed {
		if err := CheckAddr(netip.MustParseAddr(s)); err != nil {
			t.Errorf("CheckAddr(%s) = %v, want nil", s, err)
		}
	}
	if err := CheckAddr(netip.Addr{}); err == nil {
		t.Error("CheckAddr(zero Addr) = nil, want an error")
	}
}

func TestForbiddenErrorMessage(t *testing.T) {
	err := CheckAddr(netip.MustParseAddr("127.0.0.1"))
	if err == nil || err.Error() != "callback address forbidden: 127.0.0.1 is loopback" {
		t.Fatalf("message %q", err)
	}
}

func TestDialControl(t *testing.T) {
	cases := []struct {
		network, address string
		ok               bool
	}{
		{"tcp4", "127.0.0.1:8081", false},
		{"tcp6", "[::1]:80", false},
		{"tcp6", "[::ffff:127.0.0.1]:80", false},
		{"tcp4", "169.254.169.254:80", false},
		{"tcp4", "10.0.0.5:443", false},
		{"tcp6", "[fe80::1%eth0]:80", false},
		{"tcp4", "8.8.8.8:0", false},
		{"udp4", "8.8.8.8:53", false},
		{"tcp", "example.com:80", false}, // never resolved here: fail closed
		{"tcp4", "8.8.8.8:443", true},
		{"tcp6", "[2606:4700::1111]:443", true},
	}
	for _, c := range cases {
		err := DialControl(c.network, c.address, nil)
		var fe *ForbiddenError
		if c.ok != (err == nil) || (err != nil && !errors.As(err, &fe)) {
			t.Errorf("DialControl(%s, %s) = %v, want ok=%v", c.network, c.address, err, c.ok)
		}
	}
}
