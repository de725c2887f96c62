package config

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/carrier"
)

// The carriers section: read from the file, overridable by the
// environment (ranges key by key, durations), and checked by the carrier
// package with the key named.
func TestCarriersSection(t *testing.T) {
	cfg, err := Parse([]byte(`
carriers:
  ranges: {"1700": cmcc}
  portability: true
  lookup_url: http://127.0.0.1:9/carrier
  lookup_timeout: 150ms
`), []string{"SMSBRIDGE_CARRIERS_RANGES_1381234=cucc", "SMSBRIDGE_CARRIERS_LOOKUP_CACHE_TTL=2h"})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Carriers
	if c.Ranges["1700"] != carrier.CMCC || c.Ranges["1381234"] != carrier.CUCC || len(c.Ranges) != 2 || !c.Portability ||
		c.LookupURL != "http://127.0.0.1:9/carrier" || c.LookupTimeout != 150*time.Millisecond ||
		c.LookupCacheTTL != 2*time.Hour || c.LookupNegativeTTL != carrier.DefaultLookupNegativeTTL ||
		c.LookupCacheSize != carrier.DefaultLookupCacheSize {
		t.Fatalf("carriers: %+v", c)
	}
	_, err = Parse([]byte("carriers:\n  ranges: {\"12\": cmcc, \"1349\": satellite}\n  lookup_timeout: 0s\n  lookup_cache_size: 0\n"), nil)
	for _, want := range []string{"carriers.ranges: prefix \"12\"", "carriers.ranges.1349: unknown carrier", "carriers.lookup_timeout: must be positive", "carriers.lookup_cache_size:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if _, err := Parse([]byte("carriers:\n  lookup_urll: x\n"), nil); err == nil || !strings.Contains(err.Error(), "lookup_urll") {
		t.Errorf("misspelt key: %v", err)
	}
}
