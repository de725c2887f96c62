package config

import (
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
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
		},
		Text: Text{MaxSegments: 10},
		Queue: Queue{
			LeaseTTL:           Duration(store.DefaultLeaseTTL),
			MappingTTL:         Duration(store.DefaultMappingTTL),
			ReportWait:         Duration(store.DefaultReportWait),
			Retention:          Duration(store.DefaultRetention),
			MaxRecoveries:      store.DefaultMaxRecoveries,
			FlowControlTimeout: Duration(sender.DefaultFlowControlTimeout),
		},
		Simulator: Simulator{ReportDelay: Duration(200 * time.Millisecond)},
	}
}

// fillChannelDefaults applies per-channel defaults after the file and the
// environment are read (list items have no defaults of their own in
// YAML). given reports whether the file or the environment set a key
// path: a number set to 0 stays 0 (and fails validation) instead of
// silently becoming the default. Empty strings take their defaults, and
// flush_delay 0 is documented to mean the default.
func (c *Config) fillChannelDefaults(given func(path string) bool) {
	for i := range c.Channels {
		ch := &c.Channels[i]
		key := func(name string) string { return fmt.Sprintf("channels[%d].%s", i, name) }
		setDefault(&ch.Version, "3.0")
		setDefault(&ch.MsgSrc, ch.SPID)
		setDefault(&ch.FeeType, "01")
		setDefault(&ch.FeeCode, "000000")
		if ch.FeeUserType == nil {
			v := uint8(2)
			ch.FeeUserType = &v
		}
		setDefaultInt(&ch.Links, 2, given(key("links")))
		setDefaultInt(&ch.Window, cmpp.DefaultWindow, given(key("window")))
		setDefaultInt(&ch.Transmissions, cmpp.DefaultTransmissions, given(key("transmissions")))
		setDefaultDur(&ch.ResponseTimeout, cmpp.DefaultResponseTimeout, given(key("response_timeout")))
		setDefaultDur(&ch.IdleInterval, cmpp.DefaultIdleInterval, given(key("idle_interval")))
		setDefaultDur(&ch.ConnectTimeout, cmpp.DefaultConnectTimeout, given(key("connect_timeout")))
		setDefaultDur(&ch.FlushDelay, cmpp.DefaultFlushDelay, false)
	}
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setDefaultInt(p *int, v int, given bool) {
	if *p == 0 && !given {
		*p = v
	}
}

func setDefaultDur(p *Duration, v time.Duration, given bool) {
	if *p == 0 && !given {
		*p = Duration(v)
	}
}
