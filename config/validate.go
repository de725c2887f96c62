package config

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/smsbridge/smsbridge/internal/fielderr"
	"github.com/smsbridge/smsbridge/registry"
)

// Validate checks the configuration and returns every problem found, each
// naming its key, e.g. `channels[0].sp_id: at most 6 characters`. The
// settings the store, the CMPP links, the webhook dispatcher and the CMPP
// server own are checked by their own Validate (see ownerErrors), so a
// configuration that passes is one they accept.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%v", err)
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		bad("http.max_body_bytes", "must be at least 1024")
	}
	if c.HTTP.AdminKey != "" && len(c.HTTP.AdminKey) < registry.MinSecretLen {
		bad("http.admin_key", "must be at least %d bytes when set (or empty to disable the admin API)", registry.MinSecretLen)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Redis.Prefix == "" {
		bad("redis.prefix", "must not be empty")
	}
	if c.Redis.PoolSize < 1 || c.Redis.PoolSize > 10000 {
		bad("redis.pool_size", "must be 1..10000")
	}
	if c.Redis.Timeout <= 0 {
		bad("redis.timeout", "must be positive")
	}
	errs = append(errs, c.accountErrors()...)
	if c.Text.MaxSegments == 0 {
		bad("text.max_segments", "must be 1..255") // the store reports the others
	}
	if c.Text.SignatureReserve < 0 || c.Text.SignatureReserve > 60 {
		bad("text.signature_reserve", "must be 0..60")
	}
	if c.Webhook.PerHostConcurrency == 0 {
		bad("webhook.per_host_concurrency", "must be at least 1")
	}
	if c.Webhook.SecretOverlap < 0 {
		bad("webhook.secret_overlap", "must be positive")
	}
	zeroDurations(bad, "webhook.", map[string]Duration{
		"retry_for": c.Webhook.RetryFor, "initial_backoff": c.Webhook.InitialBackoff,
		"max_backoff": c.Webhook.MaxBackoff, "timeout": c.Webhook.Timeout, "secret_overlap": c.Webhook.SecretOverlap,
	})
	zeroDurations(bad, "queue.", map[string]Duration{
		"lease_ttl": c.Queue.LeaseTTL, "mapping_ttl": c.Queue.MappingTTL,
		"report_wait": c.Queue.ReportWait, "retention": c.Queue.Retention,
		"flow_control_timeout": c.Queue.FlowControlTimeout, "link_slot_lease": c.Queue.LinkSlotLease, "usage_retention": c.Queue.UsageRetention,
	})
	if c.Queue.FlowControlRetries != 0 {
		bad("queue.flow_control_retries", "removed: a segment now fails flow_control only after a Result 8 storm longer than queue.flow_control_timeout; delete the key")
	}
	if c.Simulator.ReportDelay < 0 {
		bad("simulator.report_delay", "must not be negative")
	}
	if c.Queue.MaxRecoveries < 1 {
		bad("queue.max_recoveries", "must be at least 1")
	}
	errs = append(errs, c.ownerErrors()...)
	return errors.Join(errs...)
}

// zeroDurations reports each duration set to 0: the owners read 0 as
// "the default", but in the configuration a default applies only to a
// key left out, so an explicit 0 is a mistake. Negative values are
// reported by the owners' Validate.
func zeroDurations(bad func(key, format string, args ...any), prefix string, ds map[string]Duration) {
	for _, name := range sortedKeys(ds) {
		if ds[name] == 0 {
			bad(prefix+name, "must be positive")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ValidateOptions returns the options of the registry's item validation
// for c.
func (c *Config) ValidateOptions() registry.ValidateOptions {
	return registry.ValidateOptions{
		AllowPrivateNetworks:  c.Webhook.AllowPrivateNetworks,
		AllowEmptyChannelAddr: c.Simulator.Embedded,
		ManagedBy:             registry.ManagedByConfig,
	}
}

// accountErrors checks the channels and tenants of the file with the
// registry's rules (each item, then the set), naming each problem by its
// key path. A tenant of the file names channels of the file.
func (c *Config) accountErrors() []error {
	var errs []error
	o := c.ValidateOptions()
	for i := range c.Channels {
		errs = append(errs, prefixed(fmt.Sprintf("channels[%d].", i), c.Channels[i].Validate(o))...)
	}
	for i := range c.Tenants {
		errs = append(errs, prefixed(fmt.Sprintf("tenants[%d].", i), c.Tenants[i].Validate(o))...)
	}
	for _, e := range registry.CheckSet(c.Tenants, c.Channels) {
		errs = append(errs, e)
	}
	return errs
}

// prefixed puts prefix before each problem of err.
func prefixed(prefix string, err error) []error {
	var out []error
	for _, e := range fielderr.Split(err) {
		out = append(out, fmt.Errorf("%s%w", prefix, e))
	}
	return out
}
