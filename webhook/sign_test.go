package webhook

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1763800000, 0)
	body := []byte(`{"id":"evt_1"}`)
	h := Sign("whsec", now, body)
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
