package registry

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A new webhook secret: both sign until the overlap ends, then only the
// new one; a later change drops the expired previous secret.
func TestSecretRotationOverlap(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{SecretOverlap: time.Hour})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	old := testTenant("acme", "cm1")
	if _, err := r.CreateTenant(ctx(t), admin, old); err != nil {
		t.Fatal(err)
	}
	const newSecret = "the-new-secret-0123456789"
	now := time.Now()
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.WebhookSecret = newSecret; return nil }); err != nil {
		t.Fatal(err)
	}
	tn, _ := r.Snapshot().Tenant("acme")
	if got := tn.Secrets(now.Add(time.Minute)); len(got) != 2 || got[0] != newSecret || got[1] != old.WebhookSecret {
		t.Fatalf("secrets during the overlap: %q", got)
	}
	if got := tn.Secrets(now.Add(time.Hour + time.Minute)); len(got) != 1 || got[0] != newSecret {
		t.Fatalf("secrets after the overlap: %q", got)
	}
	// An unrelated change after the overlap clears the previous secret.
	r.now = func() time.Time { return now.Add(2 * time.Hour) }
	up, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.MOExt = "7"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if up.State.PreviousSecret != "" {
		t.Fatal("expired previous secret kept")
	}
}

// The audit log has one line per change, with who, what and before/after,
// and no secret or key in it.
func TestAuditLogRedactsSecrets(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	r := f.reg
	ch := testChannel("cm1")
	if _, err := r.CreateChannel(ctx(t), admin, ch); err != nil {
		t.Fatal(err)
	}
	tn := testTenant("acme", "cm1")
	if _, err := r.CreateTenant(ctx(t), admin, tn); err != nil {
		t.Fatal(err)
	}
	const newSecret = "rotated-secret-0123456789"
	if _, err := r.UpdateTenant(ctx(t), admin, "acme", func(t *Tenant) error { t.WebhookSecret = newSecret; return nil }); err != nil {
		t.Fatal(err)
	}
	key, meta, err := r.CreateKey(ctx(t), admin, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RevokeKey(ctx(t), admin, "acme", meta.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteTenant(ctx(t), admin, "acme"); err != nil {
		t.Fatal(err)
	}
	out := f.log.String()
	for _, secret := range []string{ch.Secret, tn.WebhookSecret, newSecret, key} {
		if strings.Contains(out, secret) {
			t.Errorf("audit log holds a secret %q:\n%s", secret, out)
		}
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev struct {
			Level, Component, Actor, Action, Name, Message string
			RemoteAddr                                     string          `json:"remote_addr"`
			KeyID                                          string          `json:"key_id"`
			Before, After                                  json.RawMessage `json:"-"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if ev.Message != "account changed" {
			continue // not an audit line
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal([]byte(line), &raw)
		if ev.Level != "info" || ev.Component != "registry" || ev.Actor != admin.ID || ev.RemoteAddr != admin.RemoteAddr || raw["before"] == nil || raw["after"] == nil {
			t.Errorf("audit line lacks a field: %s", line)
		}
		if strings.HasPrefix(ev.Action, "key.") && ev.KeyID != meta.ID {
			t.Errorf("key line without the key id: %s", line)
		}
		actions = append(actions, ev.Action)
	}
	want := "channel.create tenant.create tenant.update key.create key.revoke tenant.delete"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("audit actions %q, want %q", got, want)
	}
	if !strings.Contains(out, `"webhook_secret":"[redacted]"`) || !strings.Contains(out, `"previous_secret":"[redacted]"`) || !strings.Contains(out, `"secret":"[redacted]"`) {
		t.Fatalf("secrets are not shown as [redacted]:\n%s", out)
	}
}

// KeyUsed is written by Run's flusher and read back by any replica.
func TestKeyLastUse(t *testing.T) {
	env := testenv.Redis(t)
	f, other := newFixture(t, env, Options{}), newFixture(t, env, Options{})
	r := f.reg
	if _, err := r.CreateChannel(ctx(t), admin, testChannel("cm1")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTenant(ctx(t), admin, testTenant("acme", "cm1")); err != nil {
		t.Fatal(err)
	}
	_, meta, err := r.CreateKey(ctx(t), admin, "acme")
	if err != nil {
		t.Fatal(err)
	}
	got, err := other.reg.KeysLastUsed(ctx(t), []string{meta.ID})
	if err != nil || !got[meta.ID].IsZero() {
		t.Fatalf("last use of an unused key: %v %v", got, err)
	}
	f.run(t)
	before := time.Now().Add(-time.Second)
	for i := 0; i < 1000; i++ {
		r.KeyUsed(meta.ID)
	}
	testenv.WaitFor(t, 3*time.Second, "last use written to Redis", func() bool {
		got, err := other.reg.KeysLastUsed(ctx(t), []string{meta.ID})
		return err == nil && got[meta.ID].After(before)
	})
	if n := len(f.env.HGetAll(t, r.keys.KeyLastUse())); n != 1 {
		t.Fatalf("%d last-use fields, want 1", n)
	}
	if err := r.RevokeKey(ctx(t), admin, "acme", meta.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(f.env.HGetAll(t, r.keys.KeyLastUse())); n != 0 {
		t.Fatalf("revoked key's last use kept (%d fields)", n)
	}
}
