package registry

import (
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// A tenant made through the API: created, given a key, changed, deleted
// (keys refused, record still found for webhooks), and created afresh.
func TestTenantLifecycle(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	tn, err := r.CreateTenant(ctx(t), admin, testTenant("acme", "cm1"))
	if err != nil {
		t.Fatal(err)
	}
	if tn.State.ManagedBy != ManagedByAPI || tn.Weight != store.DefaultWeight || tn.TimeZone != DefaultTimeZone || tn.State.CreatedAt.IsZero() || len(tn.State.Keys) != 0 {
		t.Fatalf("created tenant %+v", tn)
	}
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("acme", "cm1")); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	key, meta, err := r.CreateKey(ctx(t), admin, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(key) < 40 || key[:3] != "sk_" || meta.SHA256 != HashKey(key) || len(meta.ID) != 12 {
		t.Fatalf("key %q meta %+v", key, meta)
	}
	got, keyID, ok := r.Snapshot().Authenticate(key)
	if !ok || got.Name != "acme" || keyID != meta.ID {
		t.Fatalf("Authenticate right after CreateKey: %v %q %v", got, keyID, ok)
	}
	up, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error {
		t.Limits.MaxRequestsPerSec = 50
		t.Weight = 3
		t.MOExt = "12"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Limits.MaxRequestsPerSec != 50 || up.Weight != 3 || len(up.State.Keys) != 1 || !up.State.UpdatedAt.After(tn.State.UpdatedAt.Add(-time.Nanosecond)) {
		t.Fatalf("updated tenant %+v", up)
	}
	if s, _ := r.Snapshot().Tenant("acme"); s.Weight != 3 {
		t.Fatalf("snapshot after update: weight %d", s.Weight)
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.Name = "other"; return nil }); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rename: %v, want ErrInvalid", err)
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "nobody", func(*Tenant) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of an unknown tenant: %v, want ErrNotFound", err)
	}
	if err := r.DeleteTenant(ctx(t), admin, "acme"); err != nil {
		t.Fatal(err)
	}
	s := r.Snapshot()
	if _, _, ok := s.Authenticate(key); ok {
		t.Fatal("a deleted tenant's key still authenticates")
	}
	if _, ok := s.Tenant("acme"); ok || len(s.Tenants()) != 0 {
		t.Fatal("a deleted tenant is still listed")
	}
	dt, ok := s.TenantForWebhooks("acme")
	if !ok || !dt.Deleted() || len(dt.Secrets(time.Now())) != 1 {
		t.Fatalf("TenantForWebhooks of a deleted tenant: %+v %v", dt, ok)
	}
	if err := r.DeleteTenant(ctx(t), admin, "acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	// The name stays taken: a new tenant of that name would receive the
	// webhooks of what the deleted one queued.
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("acme", "cm1")); !errors.Is(err, ErrExists) {
		t.Fatalf("create of a deleted tenant's name: %v, want ErrExists", err)
	}
	if _, _, ok := r.Snapshot().Authenticate(key); ok {
		t.Fatal("the deleted tenant's key authenticates")
	}
}

// Keys: several per tenant, revoke one, unknown ids refused.
func TestKeyRotation(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("acme", "cm1")); err != nil {
		t.Fatal(err)
	}
	oldKey, oldMeta, err := r.CreateKey(ctx(t), admin, "acme")
	if err != nil {
		t.Fatal(err)
	}
	newKey, _, err := r.CreateKey(ctx(t), admin, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RevokeKey(ctx(t), admin, "acme", oldMeta.ID); err != nil {
		t.Fatal(err)
	}
	s := r.Snapshot()
	if _, _, ok := s.Authenticate(oldKey); ok {
		t.Fatal("revoked key authenticates")
	}
	if tn, _, ok := s.Authenticate(newKey); !ok || tn.Name != "acme" {
		t.Fatal("new key refused after revoking the old one")
	}
	// The key index refuses a key hash of another tenant even when the
	// check in Go is bypassed.
	v := r.Snapshot().Version
	_, err = r.apply(ctx(t), v, &changeSet{addKeys: [][2]string{{HashKey(newKey), "other:key_00000000"}}})
	mustInvalid(t, err, "keys: the same API key as another tenant")
	if err := r.RevokeKey(ctx(t), admin, "acme", oldMeta.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second revoke: %v, want ErrNotFound", err)
	}
	if _, _, err := r.CreateKey(ctx(t), admin, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key of an unknown tenant: %v, want ErrNotFound", err)
	}
}

// A channel made through the API: created with defaults, changed,
// deleted only once no tenant lists it, and brought back.
func TestChannelLifecycle(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	c, err := r.CreateChannel(ctx(t), admin, testChannel("cm1"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Links != DefaultLinks || c.Window != 16 || c.Version != "3.0" || c.MsgSrc != "900001" || c.State.ManagedBy != ManagedByAPI {
		t.Fatalf("created channel %+v", c)
	}
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	up, err := r.UpdateChannel(ctx(t), admin, "cm1", func(c *Channel) error { c.Links = 4; c.Secret = "rotated"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if up.Links != 4 || up.Secret != "rotated" {
		t.Fatalf("updated channel %+v", up)
	}
	_, err = r.UpdateChannel(ctx(t), admin, "cm1", func(c *Channel) error { c.Links = 0; return nil })
	mustInvalid(t, err, "links: must be 1..64")
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("acme", "cm1")); err != nil {
		t.Fatal(err)
	}
	mustInvalid(t, r.DeleteChannel(ctx(t), admin, "cm1"), `channel "cm1" is used by tenants acme`)
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm2")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.Channels = []string{"cm2"}; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteChannel(ctx(t), admin, "cm1"); err != nil {
		t.Fatal(err)
	}
	s := r.Snapshot()
	if len(s.Channels()) != 1 || s.Channels()[0].Name != "cm2" {
		t.Fatalf("Channels after delete: %v", s.Channels())
	}
	if dc, ok := s.Channel("cm1"); !ok || !dc.Deleted() || len(s.ChannelNamesWithData()) != 2 {
		t.Fatalf("deleted channel: %+v %v %v", dc, ok, s.ChannelNamesWithData())
	}
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.Channels = []string{"cm1"}; return nil }); err == nil {
		t.Fatal("a tenant may list a deleted channel")
	} else {
		mustInvalid(t, err, `channels: channel "cm1" is deleted`)
	}
	if _, err := r.UpdateChannel(ctx(t), admin, "cm1", func(*Channel) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a deleted channel: %v, want ErrNotFound", err)
	}
	back, err := r.CreateChannel(ctx(t), admin, testChannel("cm1"))
	if err != nil || back.Deleted() {
		t.Fatalf("create of a deleted channel's name: %+v %v", back, err)
	}
	if c, _ := r.Snapshot().Channel("cm1"); c.Deleted() || len(r.Snapshot().Channels()) != 2 {
		t.Fatal("the channel did not come back")
	}
}

// Validation errors are ErrInvalid naming each field with its key.
func TestValidationNamesFields(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	bad := testChannel("cm1")
	bad.Secret, bad.SPID, bad.SrcID = "", "1234567", "abc"
	_, err := r.CreateChannel(ctx(t), admin, bad)
	mustInvalid(t, err, "secret: required", "sp_id: longer than 6 bytes", "src_id: required, digits")
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	tn := testTenant("Bad Name", "nope")
	tn.WebhookSecret = "short"
	tn.Limits = Limits{MaxRequestsPerSec: -1, MaxSegmentsPerDay: -5}
	tn.Weight = 1000
	tn.TimeZone = "Mars/Olympus"
	tn.KeySHA256 = HashKey("x")
	tn.CallbackURL = "ftp://x/"
	_, err = r.CreateTenant(ctx(t), admin, tn)
	mustInvalid(t, err, "name: must be 1-32 characters", "webhook_secret: required, at least 16 bytes",
		"limits.max_requests_per_sec: must not be negative", "limits.max_segments_per_day: must not be negative",
		"weight: must be 1..100", `time_zone: unknown IANA time zone "Mars/Olympus"`, "key_sha256: set only in config.yaml",
		"callback_url: must be an http(s) URL")
	var ie *InvalidError
	if !errors.As(err, &ie) || len(ie.Problems) != 8 {
		t.Fatalf("problems %v, want 8", err)
	}
	_, err = r.CreateTenant(ctx(t), admin, testTenant("acme", "nope"))
	mustInvalid(t, err, `channels: unknown channel "nope"`)
	one := testTenant("one", "cm1")
	one.Default = true
	if _, err := r.CreateTenant(ctx(t), admin, one); err != nil {
		t.Fatal(err)
	}
	two := testTenant("two", "cm1")
	two.Default = true
	_, err = r.CreateTenant(ctx(t), admin, two)
	mustInvalid(t, err, `default: tenant "one" is already the default`)
	if n := len(r.Snapshot().Tenants()); n != 1 {
		t.Fatalf("%d tenants after refused changes, want 1", n)
	}
}

// Two goroutines change one tenant at once: every change that returns
// nil is in the result (no lost update); the others fail with
// ErrConflict.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("acme", "cm1")); err != nil {
		t.Fatal(err)
	}
	const perWorker = 20
	results := make(chan error, 2*perWorker)
	for w := 0; w < 2; w++ {
		go func() {
			for i := 0; i < perWorker; i++ {
				_, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error {
					t.Limits.MaxRequestsPerSec++
					return nil
				})
				results <- err
			}
		}()
	}
	applied := 0
	for i := 0; i < 2*perWorker; i++ {
		switch err := <-results; {
		case err == nil:
			applied++
		case errors.Is(err, ErrConflict):
		default:
			t.Fatalf("update: %v", err)
		}
	}
	if err := r.Load(ctx(t)); err != nil {
		t.Fatal(err)
	}
	tn, _ := r.Snapshot().Tenant("acme")
	if tn.Limits.MaxRequestsPerSec != applied || applied == 0 {
		t.Fatalf("counter %d after %d applied updates: an update was lost", tn.Limits.MaxRequestsPerSec, applied)
	}
	t.Logf("%d of %d updates applied, the rest ErrConflict", applied, 2*perWorker)
}
