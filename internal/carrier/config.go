package carrier

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Config is the carriers section of config.yaml. Its defaults and checks
// are stated here, once (FillDefaults, Validate).
type Config struct {
	// Ranges are number-prefix overrides of the shipped table: prefix
	// (MinPrefixLen..MaxPrefixLen digits, 13..19 first) → carrier code;
	// the longest prefix of both wins. Default none (an empty map).
	Ranges map[string]string `yaml:"ranges"`
	// Portability consults the moved numbers (携号转网) kept in Redis and
	// managed through /admin/portability. Default false: no Redis call.
	Portability bool `yaml:"portability"`
	// LookupURL, when set, is an HTTP hook asked for the carrier of each
	// number without a portability entry: GET <url>?number=<11 digits> →
	// 200 {"carrier":"cmcc"}. Default "" (none).
	LookupURL string `yaml:"lookup_url"`
	// LookupTimeout bounds one hook request; a slower answer is a failed
	// lookup (the range decides). Default 300ms.
	LookupTimeout time.Duration `yaml:"lookup_timeout"`
	// LookupCacheTTL keeps a hook's answer naming a carrier. Default 24h.
	LookupCacheTTL time.Duration `yaml:"lookup_cache_ttl"`
	// LookupNegativeTTL keeps an answer without a carrier
	// ({"carrier":""}) and a failed lookup, so that the range decides
	// without asking again for this long. Default 1m.
	LookupNegativeTTL time.Duration `yaml:"lookup_negative_ttl"`
	// LookupCacheSize is the most numbers the cache holds (per replica);
	// the oldest entry leaves first. Default 100000.
	LookupCacheSize int `yaml:"lookup_cache_size"`
}

// The carriers defaults, stated here once.
const (
	DefaultLookupTimeout     = 300 * time.Millisecond
	DefaultLookupCacheTTL    = 24 * time.Hour
	DefaultLookupNegativeTTL = time.Minute
	DefaultLookupCacheSize   = 100_000
	// LookupConcurrency is the most hook requests in flight per replica.
	LookupConcurrency = 16
	// MaxLookupCacheSize bounds lookup_cache_size (memory: ~100 bytes an
	// entry).
	MaxLookupCacheSize = 10_000_000
)

// FillDefaults sets every zero field to its default (Ranges to an empty
// map, so that "ranges: {}" in a file is the default).
func (c *Config) FillDefaults() {
	if c.Ranges == nil {
		c.Ranges = map[string]string{}
	}
	setDur := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	setDur(&c.LookupTimeout, DefaultLookupTimeout)
	setDur(&c.LookupCacheTTL, DefaultLookupCacheTTL)
	setDur(&c.LookupNegativeTTL, DefaultLookupNegativeTTL)
	if c.LookupCacheSize == 0 {
		c.LookupCacheSize = DefaultLookupCacheSize
	}
}

// Validate checks c (after FillDefaults); errors name the key under path
// (default "carriers"), e.g. `carriers.ranges.1700: unknown carrier "cm"`.
func (c Config) Validate(path string) error {
	if path == "" {
		path = "carriers"
	}
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, key, fmt.Sprintf(format, a...)))
	}
	prefixes := make([]string, 0, len(c.Ranges))
	for p := range c.Ranges {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	for _, p := range prefixes {
		if err := CheckPrefix(p); err != nil {
			bad("ranges", "%v", err)
		} else if !Valid(c.Ranges[p]) {
			bad("ranges."+p, "unknown carrier %q (want one of %v)", c.Ranges[p], All)
		}
	}
	if c.LookupURL != "" {
		if u, err := url.Parse(c.LookupURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			bad("lookup_url", "must be an absolute http(s) URL without fragment")
		}
	}
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, "must be positive (got %s)", d)
		}
	}
	positive("lookup_timeout", c.LookupTimeout)
	positive("lookup_cache_ttl", c.LookupCacheTTL)
	positive("lookup_negative_ttl", c.LookupNegativeTTL)
	if c.LookupCacheSize < 1 || c.LookupCacheSize > MaxLookupCacheSize {
		bad("lookup_cache_size", "%d is not within 1..%d", c.LookupCacheSize, MaxLookupCacheSize)
	}
	return errors.Join(errs...)
}

// Table returns the shipped table with c.Ranges applied (c valid).
func (c Config) Table() *Table {
	if len(c.Ranges) == 0 {
		return Shipped()
	}
	return Shipped().With(c.Ranges)
}
