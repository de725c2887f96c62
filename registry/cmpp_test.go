package registry

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// testCMPP returns a valid CMPP block of account.
func testCMPP(account string) *CMPPAccess {
	return &CMPPAccess{Account: account, Secret: "cmpp-secret-" + account, ServiceCode: "1065800001"}
}

// Defaults fill what is left out; an explicit max_links 0 stays 0 and is
// refused.
func TestCMPPAccessDefaults(t *testing.T) {
	tn := testTenant("acme", "cm1")
	tn.CMPP = &CMPPAccess{Account: "910001", Secret: "123456", ServiceCode: "1065800001"}
	tn.FillDefaults(nil)
	if tn.CMPP.MaxLinks != DefaultCMPPMaxLinks || tn.CMPP.Version != DefaultCMPPVersion {
		t.Fatalf("defaults: %+v", tn.CMPP)
	}
	// A 6-digit secret is fine: CMPP secrets often are.
	if err := tn.Validate(ValidateOptions{AllowPrivateNetworks: true}); err != nil {
		t.Fatalf("valid block refused: %v", err)
	}
	tn.CMPP = &CMPPAccess{Account: "910001", Secret: "123456", ServiceCode: "1065800001"}
	tn.FillDefaults(func(key string) bool { return key == "cmpp.max_links" })
	if tn.CMPP.MaxLinks != 0 {
		t.Fatalf("explicit max_links 0 became %d", tn.CMPP.MaxLinks)
	}
	mustInvalid(t, invalid(tn.Validate(ValidateOptions{AllowPrivateNetworks: true})), "cmpp.max_links: must be 1..1000")
}

// Every rule of the block names its key under cmpp., and no message
// shows the secret.
func TestCMPPAccessValidateNamesKeys(t *testing.T) {
	long := strings.Repeat("s", MaxCMPPSecretLen+1)
	for _, c := range []struct {
		name string
		edit func(a *CMPPAccess)
		want string
	}{
		{"account empty", func(a *CMPPAccess) { a.Account = "" }, "cmpp.account: required"},
		{"account too long", func(a *CMPPAccess) { a.Account = "9100012" }, "cmpp.account: "},
		{"account not ASCII alnum", func(a *CMPPAccess) { a.Account = "91-001" }, "cmpp.account: "},
		{"account not ASCII", func(a *CMPPAccess) { a.Account = "91é1" }, "cmpp.account: "},
		{"secret empty", func(a *CMPPAccess) { a.Secret = "" }, "cmpp.secret: required, 1..64 bytes"},
		{"secret too long", func(a *CMPPAccess) { a.Secret = long }, "cmpp.secret: required, 1..64 bytes"},
		{"max_links negative", func(a *CMPPAccess) { a.MaxLinks = -1 }, "cmpp.max_links: must be 1..1000"},
		{"max_links too many", func(a *CMPPAccess) { a.MaxLinks = 1001 }, "cmpp.max_links: must be 1..1000"},
		{"rate negative", func(a *CMPPAccess) { a.MaxSubmitsPerSec = -1 }, "cmpp.max_submits_per_sec: must not be negative"},
		{"ip bad", func(a *CMPPAccess) { a.AllowedIPs = []string{"10.0.0.1", "10.0.0.300"} }, "cmpp.allowed_ips[1]: must be an IP"},
		{"cidr bad", func(a *CMPPAccess) { a.AllowedIPs = []string{"10.0.0.0/33"} }, "cmpp.allowed_ips[0]: "},
		{"host name", func(a *CMPPAccess) { a.AllowedIPs = []string{"client.example"} }, "cmpp.allowed_ips[0]: "},
		{"version", func(a *CMPPAccess) { a.Version = "2.1" }, `cmpp.version: must be "2.0" or "3.0", not "2.1"`},
		{"service code empty", func(a *CMPPAccess) { a.ServiceCode = "" }, "cmpp.service_code: required, 1..20 digits"},
		{"service code letters", func(a *CMPPAccess) { a.ServiceCode = "10658x" }, "cmpp.service_code: "},
		{"service code too long", func(a *CMPPAccess) { a.ServiceCode = strings.Repeat("1", 21) }, "cmpp.service_code: "},
	} {
		tn := testTenant("acme", "cm1")
		tn.CMPP = testCMPP("910001")
		tn.CMPP.Secret = "s3cr3t-never-shown"
		c.edit(tn.CMPP)
		tn.FillDefaults(nil)
		err := tn.Validate(ValidateOptions{AllowPrivateNetworks: true})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), long) {
			t.Errorf("%s: the message shows the secret: %v", c.name, err)
		}
	}
	// The limits of each rule are accepted.
	tn := testTenant("acme", "cm1")
	tn.CMPP = &CMPPAccess{Account: "a1B2c3", Secret: strings.Repeat("s", MaxCMPPSecretLen), MaxLinks: MaxCMPPLinks,
		AllowedIPs: []string{"203.0.113.7", "10.0.0.0/8", "2001:db8::/32", "::1"}, Version: "2.0",
		ServiceCode: strings.Repeat("9", MaxCMPPServiceCodeLen)}
	tn.FillDefaults(nil)
	if err := tn.Validate(ValidateOptions{AllowPrivateNetworks: true}); err != nil {
		t.Fatalf("bounds refused: %v", err)
	}
}

// allowed_ips: empty allows any address; else addresses and prefixes of
// both families, an IPv4 client seen as IPv4-mapped IPv6 matching its
// IPv4 items.
func TestCMPPAllowsAddr(t *testing.T) {
	a := testCMPP("910001")
	if !a.AllowsAddr(netip.MustParseAddr("198.51.100.1")) {
		t.Fatal("empty allowed_ips refused an address")
	}
	a.AllowedIPs = []string{"203.0.113.7", "10.1.2.3/16", "2001:db8::/32", "::ffff:192.0.2.0/120"}
	for addr, want := range map[string]bool{
		"203.0.113.7": true, "203.0.113.8": false, "::ffff:203.0.113.7": true,
		"10.1.0.1": true, "10.1.255.255": true, "10.2.0.1": false,
		"2001:db8:1::5": true, "2001:db9::1": false, "fe80::1%eth0": false,
		"192.0.2.77": true, "192.0.3.1": false, "127.0.0.1": false,
	} {
		if got := a.AllowsAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("AllowsAddr(%s) = %v, want %v", addr, got, want)
		}
	}
	a.AllowedIPs = []string{"fe80::1"}
	if !a.AllowsAddr(netip.MustParseAddr("fe80::1%eth0")) {
		t.Error("a zoned address does not match its item")
	}
}

// CMPPDestID: service code + the extension after the tenant's mo_ext.
func TestCMPPDestID(t *testing.T) {
	tn := testTenant("acme", "cm1")
	if got := tn.CMPPDestID("1234"); got != "" {
		t.Fatalf("no CMPP access: %q", got)
	}
	tn.CMPP = testCMPP("910001")
	tn.CMPP.ServiceCode = "106900"
	tn.MOExt = "12"
	for ext, want := range map[string]string{
		"1234": "10690034", "12": "106900", "": "106900",
		"5678": "1069005678", // default tenant: the whole extension
	} {
		if got := tn.CMPPDestID(ext); got != want {
			t.Errorf("CMPPDestID(%q) = %q, want %q", ext, got, want)
		}
	}
	tn.MOExt = ""
	tn.CMPP.ServiceCode = strings.Repeat("1", 20)
	if got := tn.CMPPDestID("2345"); got != strings.Repeat("1", 20)+"2" {
		t.Errorf("not cut to 21 octets: %q", got)
	}
}

// A CMPP account is unique among live tenants: a second tenant cannot
// take it, a deleted tenant's account is free again; config wording names
// the other tenant by index.
func TestCMPPAccountUnique(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	a := testTenant("acme", "cm1")
	a.CMPP = testCMPP("910001")
	if _, err := r.CreateTenant(ctx(t), admin, a); err != nil {
		t.Fatal(err)
	}
	b := testTenant("globex", "cm1")
	b.CMPP = testCMPP("910001")
	_, err := r.CreateTenant(ctx(t), admin, b)
	mustInvalid(t, err, `cmpp.account: CMPP account "910001" is already tenant "acme"'s`)
	// Taking it by a change is refused too.
	b.CMPP = testCMPP("910002")
	if _, err := r.CreateTenant(ctx(t), admin, b); err != nil {
		t.Fatal(err)
	}
	_, err = r.UpdateTenant(ctx(t), admin, "globex", func(t *Tenant) error { t.CMPP.Account = "910001"; return nil })
	mustInvalid(t, err, `cmpp.account: CMPP account "910001"`)
	if err := r.DeleteTenant(ctx(t), admin, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "globex", func(t *Tenant) error { t.CMPP.Account = "910001"; return nil }); err != nil {
		t.Fatalf("the deleted tenant's account is still taken: %v", err)
	}

	c1, c2 := testTenant("t1", "cm1"), testTenant("t2", "cm1")
	c1.CMPP, c2.CMPP = testCMPP("900"), testCMPP("900")
	errs := CheckSet([]Tenant{c1, c2}, []Channel{testChannel("cm1")})
	if len(errs) != 1 || errs[0].Error() != `tenants[1].cmpp.account: CMPP account "900" is already tenants[0]'s` {
		t.Fatalf("CheckSet: %v", errs)
	}
}

// Snapshot.CMPPAccount finds live tenants by account, on every replica;
// removing the block or deleting the tenant removes the account; a
// disabled tenant is still found (the server refuses it).
func TestSnapshotCMPPAccount(t *testing.T) {
	env := testenv.Redis(t)
	f, other := newFixture(t, env, Options{}), newFixture(t, env, Options{})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	a := testTenant("acme", "cm1")
	a.CMPP = testCMPP("910001")
	a.CMPP.AllowedIPs = []string{"127.0.0.1"}
	if _, err := r.CreateTenant(ctx(t), admin, a); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("plain", "cm1")); err != nil {
		t.Fatal(err)
	}
	if err := other.reg.Load(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, reg := range []*Registry{r, other.reg} {
		tn, ok := reg.Snapshot().CMPPAccount("910001")
		if !ok || tn.Name != "acme" || tn.CMPP.Secret != a.CMPP.Secret || tn.CMPP.MaxLinks != DefaultCMPPMaxLinks ||
			!tn.CMPP.AllowsAddr(netip.MustParseAddr("127.0.0.1")) {
			t.Fatalf("CMPPAccount(910001) = %+v, %v", tn, ok)
		}
		if _, ok := reg.Snapshot().CMPPAccount(""); ok {
			t.Fatal(`a tenant without CMPP access found by account ""`)
		}
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if tn, ok := r.Snapshot().CMPPAccount("910001"); !ok || !tn.Disabled {
		t.Fatalf("disabled tenant: %+v, %v", tn, ok)
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.CMPP = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Snapshot().CMPPAccount("910001"); ok {
		t.Fatal("account found after its block was removed")
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.CMPP = testCMPP("910009"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteTenant(ctx(t), admin, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Snapshot().CMPPAccount("910009"); ok {
		t.Fatal("a deleted tenant's account found")
	}
}

// The CMPP secret is redacted in the audit log like the other secrets.
func TestAuditLogRedactsCMPPSecret(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	tn := testTenant("acme", "cm1")
	tn.CMPP = testCMPP("910001")
	tn.CMPP.Secret = "first-cmpp-secret"
	stored, err := r.CreateTenant(ctx(t), admin, tn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.CMPP.Secret = "second-cmpp-secret"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteTenant(ctx(t), admin, "acme"); err != nil {
		t.Fatal(err)
	}
	out := f.log.String()
	for _, s := range []string{"first-cmpp-secret", "second-cmpp-secret"} {
		if strings.Contains(out, s) {
			t.Errorf("audit log holds the CMPP secret %q:\n%s", s, out)
		}
	}
	if n := strings.Count(out, `"cmpp":{"account":"910001","secret":"[redacted]"`); n != 5 {
		t.Errorf("%d redacted cmpp blocks, want 5 (create after, update before and after, delete before and after):\n%s", n, out)
	}
	// Redacting works on a copy: the record keeps its secret.
	if stored.CMPP.Secret != "first-cmpp-secret" {
		t.Fatalf("redaction changed the record: %q", stored.CMPP.Secret)
	}
	if got := string(redactJSON(stored)); strings.Contains(got, "first-cmpp-secret") || stored.CMPP.Secret != "first-cmpp-secret" {
		t.Fatalf("redactJSON: %s, record secret %q", got, stored.CMPP.Secret)
	}
}
