package gateway

import (
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/registry"
)

// The documented demo key is only accepted in demo mode on loopback.
func TestDemoKeyOnlyInLoopbackDemoMode(t *testing.T) {
	const demoHash = "c48a01f49fd0f2cc404bc3cbbc80e91457a3d41bb429a695243de4c61794155c" // sha256("demo-key")
	cases := []struct {
		addr     string
		embedded bool
		ok       bool
	}{
		{"127.0.0.1:8080", true, true},
		{"localhost:8080", true, true},
		{"[::1]:8080", true, true},
		{"0.0.0.0:8080", true, false},
		{"10.0.0.5:8080", true, false},
		{"127.0.0.1:8080", false, false},
	}
	for _, tc := range cases {
		cfg := &config.Config{
			HTTP:      config.HTTP{Addr: tc.addr},
			Simulator: config.Simulator{Embedded: tc.embedded},
			Tenants:   []registry.Tenant{{Name: "other", KeySHA256: strings.Repeat("ab", 32)}, {Name: "demo", KeySHA256: demoHash}},
		}
		err := checkDemoKey(cfg)
		if (err == nil) != tc.ok {
			t.Errorf("addr %s embedded %v: err = %v, want ok=%v", tc.addr, tc.embedded, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "tenants[1].key_sha256") {
			t.Errorf("error does not name the key: %v", err)
		}
	}
}
