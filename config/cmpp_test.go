package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/registry"
)

// sampleCMPP is sample with a cmpp block on tenant acme.
const sampleCMPP = sample + `    cmpp:
      account: "910001"
      secret: "123456"
      service_code: "1065800001"
`

// The cmpp_server section: keys left out take cmppserver's defaults
// (filled before the file is read), keys set are kept.
func TestCMPPServerSection(t *testing.T) {
	cfg, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := cmppServerDefaults(); !reflect.DeepEqual(cfg.CMPPServer, want) || cfg.CMPPServer.Enabled() {
		t.Fatalf("cmpp_server left out: %+v, want the defaults %+v (off)", cfg.CMPPServer, want)
	}
	cfg, err = Parse([]byte(sample+"cmpp_server:\n  addr: 127.0.0.1:7890\n  gateway_id: 1001\n  report_retention: 24h\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := cmppServerDefaults()
	want.Addr, want.GatewayID, want.ReportRetention = "127.0.0.1:7890", 1001, registry.Duration(24*time.Hour)
	if !reflect.DeepEqual(cfg.CMPPServer, want) || !cfg.CMPPServer.Enabled() {
		t.Fatalf("cmpp_server %+v, want %+v", cfg.CMPPServer, want)
	}
}

// The CMPP server's own checks run with the rest, naming the key; an
// explicit 0 is not the default; unknown keys and bad types name their
// path.
func TestCMPPServerValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"window 0", sample + "cmpp_server:\n  window: 0\n", nil, "cmpp_server.window"},
		{"window 0 env", sample, []string{"SMSBRIDGE_CMPP_SERVER_WINDOW=0"}, "cmpp_server.window"},
		{"report_poll 0", sample + "cmpp_server:\n  report_poll: 0s\n", nil, "cmpp_server.report_poll"},
		{"addr", sample, []string{"SMSBRIDGE_CMPP_SERVER_ADDR=nowhere"}, "cmpp_server.addr"},
		{"gateway_id too big", sample, []string{"SMSBRIDGE_CMPP_SERVER_GATEWAY_ID=4194304"}, "cmpp_server.gateway_id"},
		{"gateway_id negative env", sample, []string{"SMSBRIDGE_CMPP_SERVER_GATEWAY_ID=-1"}, "cmpp_server.gateway_id (SMSBRIDGE_CMPP_SERVER_GATEWAY_ID): want an integer 0..4294967295"},
		{"unknown key", sample + "cmpp_server:\n  port: 7890\n", nil, "cmpp_server.port: unknown key"},
		{"type", sample + "cmpp_server:\n  window: lots\n", nil, "cmpp_server.window: cannot unmarshal"},
		{"tls half", sample, []string{"SMSBRIDGE_CMPP_SERVER_TLS_CERT_FILE=/nonexistent.pem"}, "cmpp_server.tls_cert_file"},
		{"enabled", sample, []string{"SMSBRIDGE_CMPP_SERVER_ADDR=127.0.0.1:0"}, ""},
	} {
		expectParse(t, tc.name, tc.yaml, tc.env, tc.want)
	}
}

// Every cmpp_server key is set by its environment variable.
func TestCMPPServerEnv(t *testing.T) {
	cfg, err := Parse([]byte(sample), []string{
		"SMSBRIDGE_CMPP_SERVER_ADDR=0.0.0.0:7890",
		"SMSBRIDGE_CMPP_SERVER_GATEWAY_ID=4194303",
		"SMSBRIDGE_CMPP_SERVER_WINDOW=32",
		"SMSBRIDGE_CMPP_SERVER_REPORT_RESEND_AFTER=5s",
		"SMSBRIDGE_CMPP_SERVER_REPORT_RESEND_MAX=2",
		"SMSBRIDGE_CMPP_SERVER_REPORT_RETENTION=1h",
		"SMSBRIDGE_CMPP_SERVER_ACTIVE_TEST_INTERVAL=10s",
		"SMSBRIDGE_CMPP_SERVER_ACTIVE_TEST_MISSED=4",
		"SMSBRIDGE_CMPP_SERVER_LOGIN_TIMEOUT=3s",
		"SMSBRIDGE_CMPP_SERVER_LOGIN_FAILURES=7",
		"SMSBRIDGE_CMPP_SERVER_LOGIN_FAILURE_WINDOW=2m",
		"SMSBRIDGE_CMPP_SERVER_LINK_LEASE=20s",
		"SMSBRIDGE_CMPP_SERVER_SUBMIT_BATCH_MAX=128",
		"SMSBRIDGE_CMPP_SERVER_SUBMIT_BATCH_WAIT=2ms",
		"SMSBRIDGE_CMPP_SERVER_REPORT_POLL=500ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.CMPPServer
	d := func(s string) registry.Duration { v, _ := registry.ParseDuration(s); return registry.Duration(v) }
	if c.Addr != "0.0.0.0:7890" || c.GatewayID != 4194303 || c.Window != 32 || c.ReportResendAfter != d("5s") ||
		c.ReportResendMax != 2 || c.ReportRetention != d("1h") || c.ActiveTestInterval != d("10s") || c.ActiveTestMissed != 4 ||
		c.LoginTimeout != d("3s") || c.LoginFailures != 7 || c.LoginFailureWindow != d("2m") || c.LinkLease != d("20s") ||
		c.SubmitBatchMax != 128 || c.SubmitBatchWait != d("2ms") || c.ReportPoll != d("500ms") {
		t.Fatalf("cmpp_server from the environment: %+v", c)
	}
}

// tenants[].cmpp in the file: defaults filled, every problem named by
// its key path, an explicit max_links 0 refused, accounts unique.
func TestTenantCMPPBlock(t *testing.T) {
	cfg, err := Parse([]byte(sampleCMPP), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Tenants[0].CMPP
	if a == nil || a.Account != "910001" || a.Secret != "123456" || a.MaxLinks != registry.DefaultCMPPMaxLinks ||
		a.Version != registry.DefaultCMPPVersion || a.ServiceCode != "1065800001" {
		t.Fatalf("cmpp block %+v", a)
	}
	if cfg, _ := Parse([]byte(sample), nil); cfg.Tenants[0].CMPP != nil {
		t.Fatal("a tenant without a cmpp block got one")
	}
	add := func(kv string) string { return sampleCMPP + "      " + kv + "\n" }
	for _, tc := range []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"max_links 0", add("max_links: 0"), nil, "tenants[0].cmpp.max_links: must be 1..1000"},
		{"max_links 0 env", sampleCMPP, []string{"SMSBRIDGE_TENANTS_0_CMPP_MAX_LINKS=0"}, "tenants[0].cmpp.max_links: must be 1..1000"},
		{"version", add(`version: "2.1"`), nil, `tenants[0].cmpp.version: must be "2.0" or "3.0"`},
		{"allowed_ips", add("allowed_ips: [10.0.0.0/8, nope]"), nil, "tenants[0].cmpp.allowed_ips[1]: must be an IP"},
		{"account", sampleCMPP, []string{"SMSBRIDGE_TENANTS_0_CMPP_ACCOUNT=9100011"}, "tenants[0].cmpp.account: "},
		{"unknown key", add("password: x"), nil, "tenants[0].cmpp.password: unknown key"},
		{"type", add("max_links: many"), nil, "tenants[0].cmpp.max_links: cannot unmarshal"},
		{"duplicate account", sampleCMPP + `  - {name: beta, key_sha256: ` + otherHash + `, webhook_secret: fedcba9876543210, channels: [default],
     cmpp: {account: "910001", secret: x, service_code: "1065800002"}}
`, nil, `tenants[1].cmpp.account: CMPP account "910001" is already tenants[0]'s`},
		{"2.0 and limits", add(`version: "2.0"`), []string{"SMSBRIDGE_TENANTS_0_CMPP_MAX_LINKS=1000", "SMSBRIDGE_TENANTS_0_CMPP_ALLOWED_IPS=127.0.0.1,::1"}, ""},
	} {
		expectParse(t, tc.name, tc.yaml, tc.env, tc.want)
	}
}

// The environment can give a file tenant CMPP access (keeping the secret
// out of the file), or set the secret of a block the file has; a
// variable naming no key of the block is an error and creates nothing.
func TestTenantCMPPFromEnv(t *testing.T) {
	cfg, err := Parse([]byte(sample), []string{
		"SMSBRIDGE_TENANTS_0_CMPP_ACCOUNT=910009",
		"SMSBRIDGE_TENANTS_0_CMPP_SECRET=from-env",
		"SMSBRIDGE_TENANTS_0_CMPP_SERVICE_CODE=10658009",
		"SMSBRIDGE_TENANTS_0_CMPP_ALLOWED_IPS=10.0.0.0/8, 127.0.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Tenants[0].CMPP
	if a == nil || a.Account != "910009" || a.Secret != "from-env" || a.ServiceCode != "10658009" ||
		strings.Join(a.AllowedIPs, " ") != "10.0.0.0/8 127.0.0.1" || a.MaxLinks != registry.DefaultCMPPMaxLinks {
		t.Fatalf("cmpp block from the environment: %+v", a)
	}
	cfg, err = Parse([]byte(sampleCMPP), []string{"SMSBRIDGE_TENANTS_0_CMPP_SECRET=rotated"})
	if err != nil || cfg.Tenants[0].CMPP.Secret != "rotated" || cfg.Tenants[0].CMPP.Account != "910001" {
		t.Fatalf("secret override: %v %+v", err, cfg)
	}
	if got := parseErr(t, sample, "SMSBRIDGE_TENANTS_0_CMPP_PASSWORD=x"); !strings.Contains(got, "SMSBRIDGE_TENANTS_0_CMPP_PASSWORD names no setting") {
		t.Fatalf("unknown block key: %q", got)
	}
	if got := parseErr(t, sample, "SMSBRIDGE_TENANTS_0_CMPP_SECRET=only-a-secret"); !strings.Contains(got, "tenants[0].cmpp.account: required") ||
		strings.Contains(got, "only-a-secret") {
		t.Fatalf("a block of only a secret: %q", got)
	}
}
