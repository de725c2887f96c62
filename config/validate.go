package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/internal/netguard"
)

// MaxWebhookBatch is the largest tenants[].webhook_batch_max: the
// webhook dispatcher leases at most this many events per store call
// (twice its 64 POST workers), and a batch holds events of one lease.
const MaxWebhookBatch = 128

// Validate checks the configuration and returns every problem found, each
// naming its key, e.g. `channels[0].sp_id: at most 6 characters`.
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
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Redis.Prefix == "" || strings.ContainsAny(c.Redis.Prefix, "{} ") {
		bad("redis.prefix", "must be non-empty without braces or spaces")
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
		case ch.Name == "" || strings.ContainsAny(ch.Name, "{}: "):
			bad(key+".name", "must be non-empty without braces, colons or spaces")
		case names[ch.Name]:
			bad(key+".name", "duplicate channel %q", ch.Name)
		}
		names[ch.Name] = true
		if ch.Addr == "" && !c.Simulator.Embedded {
			bad(key+".addr", "required unless simulator.embedded is true")
		} else if ch.Addr != "" {
			if _, _, err := net.SplitHostPort(ch.Addr); err != nil {
				bad(key+".addr", "%v", err)
			}
		}
		switch ch.Version {
		case "2.0", "2.1", "3.0":
		default:
			bad(key+".version", "must be 2.0, 2.1 or 3.0, not %q", ch.Version)
		}
		if ch.SPID == "" || len(ch.SPID) > 6 {
			bad(key+".sp_id", "required, at most 6 characters")
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
		if ch.Window < 1 || ch.Window > 1024 {
			bad(key+".window", "must be 1..1024")
		}
		if ch.MaxSubmitsPerSec < 0 {
			bad(key+".max_submits_per_sec", "must not be negative")
		}
		if ch.Transmissions < 1 {
			bad(key+".transmissions", "must be at least 1")
		}
		if ch.ResponseTimeout <= 0 || ch.IdleInterval <= 0 || ch.ConnectTimeout <= 0 {
			bad(key, "response_timeout, idle_interval and connect_timeout must be positive")
		}
		if ch.FlushDelay.D() > 100*time.Millisecond {
			bad(key+".flush_delay", "must be at most 100ms (negative: write at once)")
		}
	}
	if len(c.Tenants) == 0 {
		bad("tenants", "at least one tenant is required")
	}
	defaults := 0
	for i, t := range c.Tenants {
		key := fmt.Sprintf("tenants[%d]", i)
		if t.Name == "" {
			bad(key+".name", "required")
		}
		if b, err := hex.DecodeString(t.KeySHA256); err != nil || len(b) != 32 {
			bad(key+".key_sha256", "must be 64 hex digits (SHA-256 of the API key)")
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
	if c.Text.MaxSegments < 1 || c.Text.MaxSegments > 255 {
		bad("text.max_segments", "must be 1..255")
	}
	if c.Text.SignatureReserve < 0 || c.Text.SignatureReserve > 60 {
		bad("text.signature_reserve", "must be 0..60")
	}
	if c.Webhook.PerHostConcurrency < 1 {
		bad("webhook.per_host_concurrency", "must be at least 1")
	}
	if c.Webhook.InitialBackoff <= 0 || c.Webhook.MaxBackoff < c.Webhook.InitialBackoff {
		bad("webhook.max_backoff", "must be at least webhook.initial_backoff (> 0)")
	}
	if c.Queue.LeaseTTL <= 0 || c.Queue.MappingTTL <= 0 || c.Queue.ReportWait <= 0 {
		bad("queue", "lease_ttl, mapping_ttl and report_wait must be positive")
	}
	if c.Queue.MaxRecoveries < 1 {
		bad("queue.max_recoveries", "must be at least 1")
	}
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

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
