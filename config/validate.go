package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/internal/netguard"
)

// MaxWebhookBatch is the largest tenants[].webhook_batch_max: the
// webhook dispatcher leases at most this many events per store call
// (twice its 64 POST workers), and a batch holds events of one lease.
const MaxWebhookBatch = 128

// MaxFlushDelay is the longest channels[].flush_delay: the hold adds to
// the latency of every request.
const MaxFlushDelay = Duration(100 * time.Millisecond)

// MinSecretLen is the shortest tenants[].webhook_secret and
// http.admin_key, in bytes: shorter keys can be guessed.
const MinSecretLen = 16

// namePattern is the form of channel and tenant names: they appear in
// Redis keys, metrics labels, logs and URLs.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// nameRule describes namePattern in error messages.
const nameRule = "must be 1-32 characters a-z, 0-9, '_' or '-', starting with a letter or digit"

// Validate checks the configuration and returns every problem found, each
// naming its key, e.g. `channels[0].sp_id: at most 6 characters`. The
// settings the store, the CMPP links and the webhook dispatcher own are
// checked by their own Validate (see ownerErrors), so a configuration
// that passes is one they accept.
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
	if c.HTTP.AdminKey != "" && len(c.HTTP.AdminKey) < MinSecretLen {
		bad("http.admin_key", "must be at least %d bytes when set (or empty to disable the admin API)", MinSecretLen)
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
	if len(c.Channels) == 0 {
		bad("channels", "at least one channel is required")
	}
	names := map[string]bool{}
	for i, ch := range c.Channels {
		key := fmt.Sprintf("channels[%d]", i)
		switch {
		case !namePattern.MatchString(ch.Name):
			bad(key+".name", "%s, not %q", nameRule, ch.Name)
		case names[ch.Name]:
			bad(key+".name", "duplicate channel %q", ch.Name)
		}
		names[ch.Name] = true
		if ch.Addr == "" && !c.Simulator.Embedded {
			bad(key+".addr", "required unless simulator.embedded is true")
		}
		if ch.CMPPVersion() == 0 {
			bad(key+".version", "must be 2.0, 2.1 or 3.0, not %q", ch.Version)
		}
		if ch.Secret == "" {
			bad(key+".secret", "required")
		}
		if len(ch.MsgSrc) > 6 {
			bad(key+".msg_src", "at most 6 characters")
		}
		if ch.SrcID == "" || len(ch.SrcID) > 21 || !digits(ch.SrcID) {
			bad(key+".src_id", "required, digits, at most 21")
		}
		if len(ch.ServiceID) > 10 {
			bad(key+".service_id", "at most 10 characters")
		}
		if len(ch.FeeType) > 2 {
			bad(key+".fee_type", "at most 2 characters")
		}
		if len(ch.FeeCode) > 6 {
			bad(key+".fee_code", "at most 6 characters")
		}
		if ch.FeeUserType != nil && *ch.FeeUserType > 3 {
			bad(key+".fee_user_type", "must be 0..3")
		}
		if ch.Links < 1 || ch.Links > 64 {
			bad(key+".links", "must be 1..64")
		}
		if ch.Window == 0 {
			bad(key+".window", "must be positive")
		}
		if ch.MaxSubmitsPerSec < 0 {
			bad(key+".max_submits_per_sec", "must not be negative")
		}
		if ch.Transmissions == 0 {
			bad(key+".transmissions", "must be at least 1")
		}
		if ch.FlushDelay > MaxFlushDelay {
			bad(key+".flush_delay", "must be at most %v (negative: write at once)", MaxFlushDelay.D())
		}
		zeroDurations(bad, key+".", map[string]Duration{
			"response_timeout": ch.ResponseTimeout, "idle_interval": ch.IdleInterval, "connect_timeout": ch.ConnectTimeout,
		})
	}
	if len(c.Tenants) == 0 {
		bad("tenants", "at least one tenant is required")
	}
	defaults := 0
	tenantNames, keyHashes := map[string]int{}, map[string]int{}
	for i, t := range c.Tenants {
		key := fmt.Sprintf("tenants[%d]", i)
		if !namePattern.MatchString(t.Name) {
			bad(key+".name", "%s, not %q", nameRule, t.Name)
		} else if j, dup := tenantNames[t.Name]; dup {
			bad(key+".name", "duplicate tenant %q (tenants[%d])", t.Name, j)
		} else {
			tenantNames[t.Name] = i
		}
		if b, err := hex.DecodeString(t.KeySHA256); err != nil || len(b) != 32 {
			bad(key+".key_sha256", "must be 64 hex digits (SHA-256 of the API key)")
		} else if j, dup := keyHashes[strings.ToLower(t.KeySHA256)]; dup {
			bad(key+".key_sha256", "the same API key as tenants[%d]: tenants would share requests and signing secrets", j)
		} else {
			keyHashes[strings.ToLower(t.KeySHA256)] = i
		}
		if len(t.WebhookSecret) < MinSecretLen {
			bad(key+".webhook_secret", "required, at least %d bytes (e.g. `openssl rand -hex 32`)", MinSecretLen)
		}
		for j, h := range t.WebhookHosts {
			if err := netguard.ValidHostPattern(h); err != nil {
				bad(fmt.Sprintf("%s.webhook_hosts[%d]", key, j), "%v", err)
			}
		}
		if t.CallbackURL != "" {
			c.checkCallbackURL(key, t, bad)
		}
		if len(t.Channels) == 0 {
			bad(key+".channels", "at least one channel")
		}
		for _, name := range t.Channels {
			if !names[name] {
				bad(key+".channels", "unknown channel %q", name)
			}
		}
		if t.MOExt != "" && !digits(t.MOExt) {
			bad(key+".mo_ext", "digits only")
		}
		if t.WebhookBatchMax < 0 || t.WebhookBatchMax > MaxWebhookBatch {
			bad(key+".webhook_batch_max", "must be 0..%d (0 or 1: one event per POST), not %d", MaxWebhookBatch, t.WebhookBatchMax)
		}
		if t.Default {
			defaults++
		}
	}
	if defaults > 1 {
		bad("tenants", "at most one tenant may be the default")
	}
	if c.Text.MaxSegments == 0 {
		bad("text.max_segments", "must be 1..255") // the store reports the others
	}
	if c.Text.SignatureReserve < 0 || c.Text.SignatureReserve > 60 {
		bad("text.signature_reserve", "must be 0..60")
	}
	if c.Webhook.PerHostConcurrency == 0 {
		bad("webhook.per_host_concurrency", "must be at least 1")
	}
	zeroDurations(bad, "webhook.", map[string]Duration{
		"retry_for": c.Webhook.RetryFor, "initial_backoff": c.Webhook.InitialBackoff,
		"max_backoff": c.Webhook.MaxBackoff, "timeout": c.Webhook.Timeout,
	})
	zeroDurations(bad, "queue.", map[string]Duration{
		"lease_ttl": c.Queue.LeaseTTL, "mapping_ttl": c.Queue.MappingTTL,
		"report_wait": c.Queue.ReportWait, "retention": c.Queue.Retention,
		"flow_control_timeout": c.Queue.FlowControlTimeout,
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

// checkCallbackURL checks tenant t's callback_url with the webhook
// address policy (see netguard.CheckURL).
func (c *Config) checkCallbackURL(key string, t Tenant, bad func(key, format string, args ...any)) {
	err := netguard.CheckURL(t.CallbackURL, netguard.Policy{AllowPrivate: c.Webhook.AllowPrivateNetworks, Hosts: t.WebhookHosts})
	var fe *netguard.ForbiddenError
	switch {
	case errors.As(err, &fe) && !fe.NotListed:
		bad(key+".callback_url", "%v (set webhook.allow_private_networks: true for a receiver on a private network)", err)
	case errors.As(err, &fe):
		bad(key+".callback_url", "%v", err)
	case err != nil:
		bad(key+".callback_url", "must be an http(s) URL: %v", err)
	}
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

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
