package webhook

import (
	"strings"
	"testing"
	"time"
)

// Config.Validate refuses negative settings and a MaxBackoff below
// InitialBackoff (which withDefaults used to raise silently).
func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero config (all defaults): %v", err)
	}
	err := Config{InitialBackoff: time.Minute, MaxBackoff: time.Second, Timeout: -1, PerHostConcurrency: -2}.Validate()
	for _, want := range []string{"Config.MaxBackoff: must be at least InitialBackoff", "Config.Timeout: must not be negative",
		"Config.PerHostConcurrency: must not be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %q", err, want)
		}
	}
}
