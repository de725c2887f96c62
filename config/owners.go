package config

import (
	"errors"
	"fmt"

	"github.com/smsbridge/smsbridge/internal/fielderr"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/webhook"
)

// The translation of the configuration into the settings of the packages
// that own them. The gateway builds its parts from these, and Validate
// runs each owner's own Validate on them, so a configuration that passes
// validation is one the parts accept.

// StoreOptions returns the store settings of c.
func (c *Config) StoreOptions() store.Options {
	return store.Options{
		Prefix:         c.Redis.Prefix,
		LeaseTTL:       c.Queue.LeaseTTL.D(),
		MappingTTL:     c.Queue.MappingTTL.D(),
		ReportWait:     c.Queue.ReportWait.D(),
		Retention:      c.Queue.Retention.D(),
		MaxSegments:    c.Text.MaxSegments,
		MaxRecoveries:  c.Queue.MaxRecoveries,
		UsageRetention: c.Queue.UsageRetention.D(),
		// A create must run while the API still waits for its answer:
		// one timeout for the idempotency reservation, one for the create.
		CreateDeadline: 2 * c.Redis.Timeout.D(),
	}
}

// storeKeys maps store.Options fields to their keys.
var storeKeys = map[string]string{
	"Prefix": "redis.prefix", "LeaseTTL": "queue.lease_ttl", "MappingTTL": "queue.mapping_ttl",
	"ReportWait": "queue.report_wait", "Retention": "queue.retention", "MaxSegments": "text.max_segments",
	"MaxRecoveries": "queue.max_recoveries", "CreateDeadline": "redis.timeout",
	"UsageRetention": "queue.usage_retention",
}

// WebhookConfig returns the dispatcher settings of c; the caller adds
// the dependencies (Store, Tenants, Metrics, Logger, Version).
func (c *Config) WebhookConfig() webhook.Config {
	return webhook.Config{
		Channels:             c.ChannelNames(),
		RetryFor:             c.Webhook.RetryFor.D(),
		InitialBackoff:       c.Webhook.InitialBackoff.D(),
		MaxBackoff:           c.Webhook.MaxBackoff.D(),
		Timeout:              c.Webhook.Timeout.D(),
		PerHostConcurrency:   c.Webhook.PerHostConcurrency,
		AllowPrivateNetworks: c.Webhook.AllowPrivateNetworks,
		BatchSize:            c.webhookLeaseSize(),
	}
}

// webhookKeys maps webhook.Config fields to their keys.
var webhookKeys = map[string]string{
	"RetryFor": "webhook.retry_for", "InitialBackoff": "webhook.initial_backoff",
	"MaxBackoff": "webhook.max_backoff", "Timeout": "webhook.timeout",
	"PerHostConcurrency": "webhook.per_host_concurrency", "BatchSize": "tenants[].webhook_batch_max",
}

// webhookLeaseSize is the most events the dispatcher leases at once: a
// batch POST holds events of one lease, so it is at least the largest
// tenants[].webhook_batch_max (registry.MaxWebhookBatch at most).
func (c *Config) webhookLeaseSize() int {
	n := webhook.DefaultBatchSize
	for _, t := range c.Tenants {
		n = max(n, t.WebhookBatchMax)
	}
	return n
}

// ChannelNames returns the names of the configured channels, in order.
func (c *Config) ChannelNames() []string {
	out := make([]string, len(c.Channels))
	for i, ch := range c.Channels {
		out[i] = ch.Name
	}
	return out
}

// ownerErrors runs the owners' Validate on the translated settings and
// names each problem by its key.
func (c *Config) ownerErrors() []error {
	var errs []error
	errs = append(errs, keyed(c.StoreOptions().Validate(), "", storeKeys)...)
	// Each channel's link settings are checked by the registry
	// (registry.Channel.Validate, see accountErrors).
	errs = append(errs, keyed(c.WebhookConfig().Validate(), "", webhookKeys)...)
	// cmppserver names its keys under the path it is given.
	errs = append(errs, fielderr.Split(c.CMPPServer.Validate("cmpp_server"))...)
	// carrier names its keys under the path it is given.
	errs = append(errs, fielderr.Split(c.Carriers.Validate("carriers"))...)
	return errs
}

// keyed renames the *fielderr.Error leaves of err by keys (prefix +
// keys[Field]); others keep the owner's message.
func keyed(err error, prefix string, keys map[string]string) []error {
	var out []error
	for _, e := range fielderr.Split(err) {
		var fe *fielderr.Error
		if errors.As(e, &fe) {
			if key, ok := keys[fe.Field]; ok {
				out = append(out, fmt.Errorf("%s%s: %w", prefix, key, fe.Err))
				continue
			}
		}
		out = append(out, e)
	}
	return out
}
