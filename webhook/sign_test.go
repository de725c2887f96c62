package webhook

import (
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1763800000, 0)
	body := []byte(`{"id":"evt_1"}`)
	h := Sign([]string{"whsec"}, now, body)
	// HMAC-SHA256("whsec", "1763800000.{\"id\":\"evt_1\"}") computed independently with openssl.
	const want = "t=1763800000,v1=f67a35ecee75b7ddbb8aa95f03e710b59a364afefe56ae99a71db8765cb5ee0c"
	if h != want {
		t.Fatalf("Sign = %s, want %s", h, want)
	}
	if err := Verify("whsec", h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	if err := Verify("other", h, body, now, 5*time.Minute); !errors.Is(err, ErrSignatureBad) {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := Verify("whsec", h, append(body, ' '), now, 5*time.Minute); !errors.Is(err, ErrSignatureBad) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := Verify("whsec", h, body, now.Add(time.Hour), 5*time.Minute); !errors.Is(err, ErrSignatureStale) {
		t.Fatalf("stale: %v", err)
	}
	if err := Verify("whsec", "garbage", body, now, time.Minute); !errors.Is(err, ErrSignatureFormat) {
		t.Fatalf("format: %v", err)
	}
}

// During a secret rotation's overlap the header carries one v1 per
// secret, the current one first, and a receiver holding either verifies.
func TestSignWithTwoSecrets(t *testing.T) {
	now := time.Unix(1763800000, 0)
	body := []byte(`{"id":"evt_1"}`)
	h := Sign([]string{"new-secret", "whsec"}, now, body)
	parts := strings.Split(h, ",")
	if len(parts) != 3 || parts[0] != "t=1763800000" {
		t.Fatalf("Sign = %s, want t and two v1", h)
	}
	// The previous secret's value is the one-secret signature above.
	if parts[1] != strings.TrimPrefix(Sign([]string{"new-secret"}, now, body), "t=1763800000,") ||
		parts[2] != "v1=f67a35ecee75b7ddbb8aa95f03e710b59a364afefe56ae99a71db8765cb5ee0c" {
		t.Errorf("Sign = %s: want the new secret's v1, then the old one's", h)
	}
	for _, secret := range []string{"new-secret", "whsec"} {
		if err := Verify(secret, h, body, now, time.Minute); err != nil {
			t.Errorf("a receiver holding %q: %v", secret, err)
		}
	}
	if err := Verify("third", h, body, now, time.Minute); !errors.Is(err, ErrSignatureBad) {
		t.Errorf("a third secret: %v", err)
	}
}

// Signing reuses keyed HMAC states (signerPool): signatures made one after
// the other and concurrently, with secrets and bodies interleaved, are
// each what a fresh HMAC gives (no state carried over from a previous
// body or secret).
func TestSignReusedStatesMatchFreshHMAC(t *testing.T) {
	now := time.Unix(1763800000, 0)
	secrets := []string{"whsec_a", "whsec_b", "", strings.Repeat("k", 100)} // longer than a block: hashed key
	check := func(i int) {
		s := secrets[i%len(secrets)]
		body := []byte(strings.Repeat("x", i%97))
		want := "t=1763800000,v1=" + hex.EncodeToString(mac(s, "1763800000", body))
		if got := Sign([]string{s}, now, body); got != want {
			t.Errorf("Sign #%d = %s, want %s", i, got, want)
		}
	}
	for i := range 200 {
		check(i)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				check(g*100 + i)
			}
		})
	}
	wg.Wait()
}
