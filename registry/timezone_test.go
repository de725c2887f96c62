package registry

import (
	"strings"
	"testing"
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
