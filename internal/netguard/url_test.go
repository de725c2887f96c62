package netguard

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	const (
		ok        = "ok"
		invalid   = "invalid"
		forbidden = "forbidden"
	)
	open := Policy{}
	private := Policy{AllowPrivate: true}
	listed := Policy{Hosts: []string{"hooks.example.com", "*.example.net", "203.0.113.7", "[2001:db8::7]"}}
	listedPrivate := Policy{AllowPrivate: true, Hosts: []string{"127.0.0.1", "localhost"}}
	cases := []struct {
		url  string
		p    Policy
		want string
		why  string // part of the error message
	}{
		{"https://hooks.example.com/sms", open, ok, ""},
		{"http://hooks.example.com:8080/sms?x=1", open, ok, ""},
		{"https://8.8.8.8/hook", open, ok, ""},
		{"https://[2606:4700::1111]:443/hook", open, ok, ""},
		{"http://HOOKS.Example.COM./x", open, ok, ""},

		// Not a usable URL, whatever the policy.
		{"ftp://hooks.example.com/", private, invalid, "scheme"},
		{"/relative/path", private, invalid, "scheme"},
		{"http:///nohost", private, invalid, "no host"},
		{"http://hooks.example.com:0/", private, invalid, "port 0"},
		{"http://hooks.example.com:65536/", private, invalid, "port 65536"},
		{"http://hooks.example.com:/", private, invalid, "empty port"},
		{"http://hooks.example.com:99999999999999999999/", private, invalid, "port"},
		{"http://[::1/", private, invalid, ""},
		{"http://2130706433/", private, invalid, "non-standard"},
		{"http://127.1/", private, invalid, "non-standard"},
		{"http://0x7f.0.0.1/", private, invalid, "non-standard"},
		{"http://0177.0.0.1/", private, invalid, "non-standard"},
		{"http://0x7f000001/", private, invalid, "non-standard"},

		// Literal addresses and loopback names.
		{"http://127.0.0.1:8081/webhook", open, forbidden, "127.0.0.1 is loopback"},
		{"http://localhost:8081/webhook", open, forbidden, "localhost is a loopback name"},
		{"http://LOCALHOST./webhook", open, forbidden, "loopback name"},
		{"http://api.localhost/webhook", open, forbidden, "loopback name"},
		{"http://[::1]/", open, forbidden, "loopback"},
		{"http://0.0.0.0/", open, forbidden, "unspecified"},
		{"http://[::]/", open, forbidden, "unspecified"},
		{"http://[::ffff:127.0.0.1]/", open, forbidden, "IPv4-mapped"},
		{"http://[::ffff:7f00:1]/", open, forbidden, "IPv4-mapped"},
		{"http://10.1.2.3/", open, forbidden, "private"},
		{"http://172.16.0.1/", open, forbidden, "private"},
		{"http://192.168.0.10/", open, forbidden, "private"},
		{"http://[fd12:3456::1]/", open, forbidden, "unique local"},
		{"http://169.254.169.254/latest/meta-data/", open, forbidden, "link-local"},
		{"http://[fe80::1%25eth0]/", open, forbidden, "zone"},
		{"http://100.64.1.1/", open, forbidden, "CGNAT"},
		{"http://224.0.0.1/", open, forbidden, "multicast"},
		{"http://255.255.255.255/", open, forbidden, "broadcast"},
		{"http://[ff02::1]/", open, forbidden, "multicast"},

		// allow_private_networks turns the address check off.
		{"http://127.0.0.1:8081/webhook", private, ok, ""},
		{"http://localhost:8081/webhook", private, ok, ""},
		{"http://[::1]:1/", private, ok, ""},
		{"http://10.1.2.3/", private, ok, ""},

		// The allowlist narrows.
		{"https://hooks.example.com/x", listed, ok, ""},
		{"https://a.b.example.net/x", listed, ok, ""},
		{"https://203.0.113.7/x", listed, ok, ""},
		{"https://[2001:db8::7]/x", listed, ok, ""},
		{"https://example.net/x", listed, forbidden, "not in the tenant's webhook_hosts"},
		{"https://evil.example.com/x", listed, forbidden, "webhook_hosts"},
		{"https://hooks.example.com.evil.org/x", listed, forbidden, "webhook_hosts"},
		{"https://xexample.net/x", listed, forbidden, "webhook_hosts"},
		{"https://203.0.113.8/x", listed, forbidden, "webhook_hosts"},
		{"http://127.0.0.1/x", listed, forbidden, "loopback"},
		{"http://127.0.0.1/x", listedPrivate, ok, ""},
		{"http://localhost/x", listedPrivate, ok, ""},
		{"http://[::1]/x", listedPrivate, forbidden, "webhook_hosts"},
	}
	for _, c := range cases {
		err := CheckURL(c.url, c.p)
		var fe *ForbiddenError
		got := ok
		switch {
		case errors.As(err, &fe):
			got = forbidden
		case errors.Is(err, ErrInvalidURL):
			got = invalid
		case err != nil:
			got = "other: " + err.Error()
		}
		if got != c.want || (err != nil && !strings.Contains(err.Error(), c.why)) {
			t.Errorf("CheckURL(%q, %+v) = %v (%s), want %s containing %q", c.url, c.p, err, got, c.want, c.why)
		}
	}
}

func TestValidHostPattern(t *testing.T) {
	for _, p := range []string{"hooks.example.com", "*.example.com", "Example.COM.", "a_b.example", "203.0.113.7", "2001:db8::1", "[2001:db8::1]", "localhost"} {
		if err := ValidHostPattern(p); err != nil {
			t.Errorf("ValidHostPattern(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "*", "*.", "a.*.example.com", "**.example.com", "http://x.example", "x.example/path", "x.example:80", "-a.example", "a..example", "127.1", "1.2.3.4.5", "bad host"} {
		if err := ValidHostPattern(p); err == nil {
			t.Errorf("ValidHostPattern(%q) = nil, want an error", p)
		}
	}
}
