package config

import (
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/cmppserver"
	"github.com/smsbridge/smsbridge/internal/carrier"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/sender"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/webhook"
)

// Defaults returns a Config holding every documented default. A default
// the owning package also applies (store, webhook, cmpp, sender) is that
// package's constant, stated once.
func Defaults() *Config {
	return &Config{
		HTTP:            HTTP{Addr: "127.0.0.1:8080", MaxBodyBytes: 1 << 20},
		Redis:           Redis{Prefix: store.DefaultPrefix, PoolSize: 100, Timeout: Duration(3 * time.Second)},
		Log:             Log{Level: "info"},
		ShutdownTimeout: Duration(30 * time.Second),
		Webhook: Webhook{
			RetryFor:           Duration(webhook.DefaultRetryFor),
			InitialBackoff:     Duration(webhook.DefaultInitialBackoff),
			MaxBackoff:         Duration(webhook.DefaultMaxBackoff),
			Timeout:            Duration(webhook.DefaultTimeout),
			PerHostConcurrency: webhook.DefaultPerHostConcurrency,
			SecretOverlap:      Duration(registry.DefaultSecretOverlap),
		},
		Text: Text{MaxSegments: 10},
		Queue: Queue{
			LeaseTTL:           Duration(store.DefaultLeaseTTL),
			MappingTTL:         Duration(store.DefaultMappingTTL),
			ReportWait:         Duration(store.DefaultReportWait),
			Retention:          Duration(store.DefaultRetention),
			MaxRecoveries:      store.DefaultMaxRecoveries,
			UsageRetention:     Duration(store.DefaultUsageRetention),
			FlowControlTimeout: Duration(sender.DefaultFlowControlTimeout),
			LinkSlotLease:      Duration(sender.DefaultSlotLease),
		},
		CMPPServer: cmppServerDefaults(),
		Carriers:   carriersDefaults(),
		Simulator:  Simulator{ReportDelay: Duration(200 * time.Millisecond)},
	}
}

// cmppServerDefaults is the cmpp_server section with the cmppserver
// package's defaults. They are filled before the file is read, so a key
// the file sets to 0 stays 0 (and cmppserver's Validate reports it).
func cmppServerDefaults() cmppserver.Config {
	var c cmppserver.Config
	c.FillDefaults()
	return c
}

// carriersDefaults is the carriers section with the carrier package's
// defaults, filled before the file is read (as cmppServerDefaults).
func carriersDefaults() carrier.Config {
	var c carrier.Config
	c.FillDefaults()
	return c
}

// fillItemDefaults applies the defaults of every channel and tenant
// (registry's FillDefaults) after the file and the environment are read:
// list items have no defaults of their own in YAML. given reports whether
// the file or the environment set a key path, so that a number set to 0
// stays 0 (and fails validation) instead of silently becoming the
// default.
func (c *Config) fillItemDefaults(given func(path string) bool) {
	for i := range c.Channels {
		c.Channels[i].FillDefaults(func(key string) bool { return given(fmt.Sprintf("channels[%d].%s", i, key)) })
	}
	for i := range c.Tenants {
		c.Tenants[i].FillDefaults(func(key string) bool { return given(fmt.Sprintf("tenants[%d].%s", i, key)) })
	}
}
