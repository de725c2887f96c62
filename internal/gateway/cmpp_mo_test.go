package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
)

// The senders' MO router sends an MO to the CMPP account of the tenant
// the webhook routing picks, when that tenant has CMPP access and is not
// deleted; every other MO keeps the webhook path.
func TestCMPPMORoutesToTheTenantsAccount(t *testing.T) {
	env := testenv.Redis(t)
	sim, err := ismgsim.NewServer(ismgsim.Config{Accounts: []ismgsim.Account{{SPID: testSP, Secret: testSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sum, sum2 := sha256.Sum256([]byte(testKey)), sha256.Sum256([]byte(testKey+"-cust"))
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
http: {addr: "127.0.0.1:0"}
redis: {addr: %q, prefix: %q}
channels:
  - {name: default, addr: %q, sp_id: %q, secret: %q, src_id: "1065800001", service_id: TEST, links: 1}
  - {name: other, addr: %q, sp_id: %q, secret: %q, src_id: "1065800002", service_id: TEST, links: 1}
tenants:
  - {name: acme, key_sha256: %s, callback_url: "http://127.0.0.1:1/hook", webhook_secret: "0123456789abcdef", channels: [default, other], default: true}
  - name: cust
    key_sha256: %s
    webhook_secret: "0123456789abcdef"
    channels: [default]
    mo_ext: "9"
    cmpp: {account: "910001", secret: "demo-cmpp", service_code: "106900"}
webhook: {allow_private_networks: true}
`, env.Addr, env.Prefix, sim.Addr(), testSP, testSecret, sim.Addr(), testSP, testSecret, hex.EncodeToString(sum[:]), hex.EncodeToString(sum2[:]))), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.ln.Close(); gw.close() })

	for _, tc := range []struct {
		channel, dest   string
		account, destID string
		ok              bool
	}{
		{"default", "10658000019", "910001", "106900", true},
		{"default", "1065800001942", "910001", "10690042", true},
		{"default", "106580000177", "", "", false}, // the default tenant, no CMPP access
		{"default", "1065800001", "", "", false},
		{"other", "10658000029", "", "", false}, // cust is not on channel other: the default tenant's
	} {
		account, destID, ok := gw.cmppMO(tc.channel, tc.dest)
		if account != tc.account || destID != tc.destID || ok != tc.ok {
			t.Errorf("cmppMO(%s, %s) = %q %q %v, want %q %q %v", tc.channel, tc.dest, account, destID, ok, tc.account, tc.destID, tc.ok)
		}
	}

	// A tenant made at runtime routes at once; deleted, it no longer does.
	ctx := context.Background()
	who := registry.Actor{ID: "test"}
	if _, err := gw.reg.CreateTenant(ctx, who, registry.Tenant{
		Name: "late", Channels: []string{"default"}, MOExt: "8", WebhookSecret: "0123456789abcdef",
		CMPP: &registry.CMPPAccess{Account: "910002", Secret: "s", ServiceCode: "106901"},
	}); err != nil {
		t.Fatal(err)
	}
	if account, destID, ok := gw.cmppMO("default", "106580000181"); account != "910002" || destID != "1069011" || !ok {
		t.Fatalf("runtime tenant: %q %q %v", account, destID, ok)
	}
	if err := gw.reg.DeleteTenant(ctx, who, "late"); err != nil {
		t.Fatal(err)
	}
	if account, _, ok := gw.cmppMO("default", "106580000181"); ok {
		t.Fatalf("deleted tenant still routed to %q", account)
	}
}
