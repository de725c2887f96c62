package registry

import (
	"errors"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// configTenant returns a config tenant with API key key.
func configTenant(name, key string, channels ...string) Tenant {
	tn := testTenant(name, channels...)
	tn.KeySHA256 = strings.ToUpper(HashKey(key))
	return tn
}

// Config accounts are imported as managed by config: their key
// authenticates under a stable id, the API may not change them, an
// unchanged import changes nothing, and entries gone from the file are
// deleted.
func TestImportConfigAccounts(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	chans := []Channel{testChannel("cm1"), testChannel("cm2")}
	tens := []Tenant{configTenant("acme", "acme-key", "cm1"), configTenant("beta", "beta-key", "cm2")}
	if err := r.Import(ctx(t), tens, chans); err != nil {
		t.Fatal(err)
	}
	s := r.Snapshot()
	tn, keyID, ok := s.Authenticate("acme-key")
	if !ok || tn.Name != "acme" || keyID != "cfg-"+HashKey("acme-key")[:8] || tn.State.ManagedBy != ManagedByConfig {
		t.Fatalf("config key: %+v %q %v", tn, keyID, ok)
	}
	if c, ok := s.Channel("cm1"); !ok || c.State.ManagedBy != ManagedByConfig || c.Links != DefaultLinks {
		t.Fatalf("config channel: %+v", c)
	}
	created := tn.State.CreatedAt
	// Read-only through the API.
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(*Tenant) error { return nil }); !errors.Is(err, ErrManagedByConfig) {
		t.Fatalf("update of a config tenant: %v", err)
	}
	if _, _, err := r.CreateKey(ctx(t), admin, "acme"); !errors.Is(err, ErrManagedByConfig) {
		t.Fatalf("key of a config tenant: %v", err)
	}
	if err := r.DeleteChannel(ctx(t), admin, "cm2"); !errors.Is(err, ErrManagedByConfig) {
		t.Fatalf("delete of a config channel: %v", err)
	}
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); !errors.Is(err, ErrExists) {
		t.Fatalf("create over a config channel: %v", err)
	}
	// The same file again: nothing changes.
	v := s.Version
	if err := r.Import(ctx(t), tens, chans); err != nil {
		t.Fatal(err)
	}
	if r.Snapshot().Version != v {
		t.Fatalf("an unchanged import bumped the version %d -> %d", v, r.Snapshot().Version)
	}
	// A changed file: beta and cm2 gone, acme changed (CreatedAt kept).
	tens[0].Weight = 5
	if err := r.Import(ctx(t), tens[:1], chans[:1]); err != nil {
		t.Fatal(err)
	}
	s = r.Snapshot()
	if tn, _ := s.Tenant("acme"); tn.Weight != 5 || !tn.State.CreatedAt.Equal(created) {
		t.Fatalf("re-imported tenant %+v (created %v)", tn, created)
	}
	if _, ok := s.Tenant("beta"); ok {
		t.Fatal("tenant removed from the file is still live")
	}
	if _, _, ok := s.Authenticate("beta-key"); ok {
		t.Fatal("key of a tenant removed from the file still authenticates")
	}
	if bt, ok := s.TenantForWebhooks("beta"); !ok || !bt.Deleted() {
		t.Fatal("tenant removed from the file is not kept for its webhooks")
	}
	if c, _ := s.Channel("cm2"); !c.Deleted() || len(s.Channels()) != 1 {
		t.Fatal("channel removed from the file is not deleted")
	}
	if !strings.Contains(f.log.String(), `"action":"tenant.import"`) || !strings.Contains(f.log.String(), `"actor":"config"`) {
		t.Fatalf("import not in the audit log:\n%s", f.log.String())
	}
}

// A name in the file that belongs to an account made through the API
// fails the import, changing nothing.
func TestImportRefusesAPIAccounts(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	if err := r.Import(ctx(t), nil, []Channel{testChannel("cm1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("shop", "cm1")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm9")); err != nil {
		t.Fatal(err)
	}
	v := r.Snapshot().Version
	err := r.Import(ctx(t), []Tenant{configTenant("shop", "k", "cm1")}, []Channel{testChannel("cm1")})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), `tenant "shop" of config.yaml was made through the admin API`) {
		t.Fatalf("import over an API tenant: %v", err)
	}
	err = r.Import(ctx(t), nil, []Channel{testChannel("cm1"), testChannel("cm9")})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), `channel "cm9"`) {
		t.Fatalf("import over an API channel: %v", err)
	}
	// Removing cm1 from the file while the API tenant lists it.
	err = r.Import(ctx(t), nil, nil)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `tenant "shop": channels: channel "cm1" is deleted`) {
		t.Fatalf("import deleting a channel an API tenant uses: %v", err)
	}
	if err := r.Load(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if r.Snapshot().Version != v {
		t.Fatal("a refused import changed the stored accounts")
	}
	// An invalid item of the file names its key path.
	bad := testChannel("cm1")
	bad.Secret = ""
	err = r.Import(ctx(t), nil, []Channel{bad})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "channels[0].secret: required") {
		t.Fatalf("invalid item: %v", err)
	}
	// A config key that an API tenant already has is refused.
	key, _, err := r.CreateKey(ctx(t), admin, "shop")
	if err != nil {
		t.Fatal(err)
	}
	err = r.Import(ctx(t), []Tenant{configTenant("acme", key, "cm1")}, []Channel{testChannel("cm1")})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "the same API key") {
		t.Fatalf("config key of an API tenant: %v", err)
	}
}
