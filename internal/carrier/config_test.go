package carrier

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.FillDefaults()
	if c.Ranges == nil || c.Portability || c.LookupURL != "" || c.LookupTimeout != DefaultLookupTimeout ||
		c.LookupCacheTTL != DefaultLookupCacheTTL || c.LookupNegativeTTL != DefaultLookupNegativeTTL ||
		c.LookupCacheSize != DefaultLookupCacheSize {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate(""); err != nil {
		t.Fatal(err)
	}
}

// Every problem is reported, each naming its key.
func TestConfigValidateNamesKeys(t *testing.T) {
	c := Config{
		Ranges:        map[string]string{"12": CMCC, "1381": "mobile", "139x": CTCC},
		LookupURL:     "ftp://x/y",
		LookupTimeout: -time.Second, LookupCacheTTL: 0, LookupNegativeTTL: time.Second,
		LookupCacheSize: -1,
	}
	err := c.Validate("carriers")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`carriers.ranges: prefix "12"`, `carriers.ranges.1381: unknown carrier "mobile"`, `carriers.ranges: prefix "139x"`,
		"carriers.lookup_url:", "carriers.lookup_timeout:", "carriers.lookup_cache_ttl:", "carriers.lookup_cache_size:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "lookup_negative_ttl") {
		t.Errorf("a valid key reported: %v", err)
	}
}
