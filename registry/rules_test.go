package registry

import (
	"errors"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// "Local" is the zone of each replica's host, not one zone: two replicas
// would count a tenant's days (quota, usage) differently.
func TestTimeZoneLocalRefused(t *testing.T) {
	tn := testTenant("acme", "c1")
	tn.TimeZone = "Local"
	tn.FillDefaults(nil)
	err := tn.Validate(ValidateOptions{AllowPrivateNetworks: true})
	if err == nil || !strings.Contains(err.Error(), "time_zone: ") {
		t.Fatalf("time_zone Local: %v; want an error naming time_zone", err)
	}
	tn.TimeZone = "Europe/Berlin"
	if err := tn.Validate(ValidateOptions{AllowPrivateNetworks: true}); err != nil {
		t.Fatalf("Europe/Berlin: %v", err)
	}
}

// The key prefix rule is the store's (store.CheckPrefix).
func TestPrefixRule(t *testing.T) {
	env := testenv.Redis(t)
	for _, p := range []string{"a{b", "a:b", "a b"} {
		if _, err := New(env.Client, Options{Prefix: p}); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "Options.Prefix") {
			t.Errorf("prefix %q: %v; want store.ErrInvalid naming Options.Prefix", p, err)
		}
	}
}
