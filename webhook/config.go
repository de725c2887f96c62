package webhook

import (
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/fielderr"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// Config configures a Dispatcher. Zero fields take the documented
// defaults; Store and Tenants are required.
//
// Metric outcomes (label "outcome" of Metrics.Webhooks, with the event
// type): "delivered" (2xx, acked), "retry" (failed attempt, scheduled
// again), "dead" (dead-lettered: retried for RetryFor, 410 Gone, unknown
// tenant, bad or forbidden URL or address), "no_callback" (no callback URL anywhere: acked without
// a POST), "deferred" (host saturated: put back without a POST).
type Config struct {
	// Store holds the event outbox. Required.
	Store *store.Store
	// Channels are the channels whose outboxes are drained (one lease
	// loop each) until Dispatcher.SetChannels changes them. May be empty.
	Channels []string
	// Tenants resolves callback URLs, secrets and MO routing. Required.
	Tenants Tenants
	// Wake is the process's shared wake-up signals. Required; it must
	// know every channel. Each lease loop waits on Events(channel)
	// between polls, so events created in this process (by the sender,
	// the maintainer, an admin replay) are leased at once.
	Wake *wake.Hub
	// HTTPClient sends the POSTs. Default DefaultHTTPClient: no
	// redirects followed, no proxy, bounded dial and TLS handshake, and
	// the connect-time address check unless AllowPrivateNetworks. A client
	// given here must apply its own address policy (see
	// netguard.DialControl).
	HTTPClient *http.Client
	// AllowPrivateNetworks lets webhooks reach loopback, private,
	// link-local and other non-public addresses (see netguard.CheckAddr),
	// by URL and at connect time. Default false: such a callback URL, or
	// a name resolving there, dead-letters the event at once with the
	// reason.
	AllowPrivateNetworks bool
	// RetryFor is how long an event is retried, counted from its creation;
	// then it is dead-lettered with its last error. Default 24 h.
	RetryFor time.Duration
	// InitialBackoff is the wait before the first retry; it doubles with
	// every attempt up to MaxBackoff, with equal jitter. Defaults 1 s and
	// 10 min.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Timeout bounds one POST, response included. Default 10 s. It must
	// stay well below the store's EventLeaseTTL (default 30 s).
	Timeout time.Duration
	// PerHostConcurrency caps concurrent POSTs per URL host. Default 32
	// (8 deferred a fifth of the events of one busy receiver at 2,000/s).
	PerHostConcurrency int
	// Workers caps concurrent POSTs in total. Default 64.
	Workers int
	// BatchSize is the most events leased per store call, and so the
	// most events of one batch POST (Tenant.BatchMax groups the events of
	// one lease only). Default 32. Dispatcher.SetBatchSize changes it
	// while the dispatcher runs.
	BatchSize int
	// PollInterval is the longest wait between two leases while the
	// outbox is empty; the wait starts at 10 ms and doubles up to it.
	// An EventsReady signal of Wake (and Replay) cuts it short. Default
	// 1 s.
	PollInterval time.Duration
	// StopGrace is how long POSTs in flight may finish after Run's
	// context is cancelled; they are then aborted and their events left
	// for a retry. Default Timeout.
	StopGrace time.Duration
	// Version goes into the User-Agent "smsbridge/<Version>". Default
	// "dev".
	Version string
	// Metrics receives Webhooks and WebhookDuration observations (nil:
	// none).
	Metrics *metrics.Metrics
	// Logger receives one JSON event per line; the zero value discards.
	// Callback URLs are never logged (only their host), nor secrets.
	Logger zerolog.Logger
	// Now is the clock for signatures and retry times. Default time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultRetryFor           = 24 * time.Hour
	DefaultInitialBackoff     = time.Second
	DefaultMaxBackoff         = 10 * time.Minute
	DefaultTimeout            = 10 * time.Second
	DefaultPerHostConcurrency = 32
	DefaultWorkers            = 64
	DefaultBatchSize          = 32
	DefaultPollInterval       = time.Second
	DefaultVersion            = "dev"
)

// minPoll is the first idle wait between leases.
const minPoll = 10 * time.Millisecond

// Validate reports every invalid setting of c, each as a *fielderr.Error
// naming the field ("webhook: Config.MaxBackoff: …"). Zero values are
// valid (they select the defaults); negative ones are not. It checks
// settings only, not the Store and Tenants dependencies.
func (c Config) Validate() error {
	l := fielderr.NewList("webhook: Config", nil)
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"RetryFor", c.RetryFor}, {"InitialBackoff", c.InitialBackoff}, {"MaxBackoff", c.MaxBackoff},
		{"Timeout", c.Timeout}, {"PollInterval", c.PollInterval},
		{"StopGrace", c.StopGrace},
	} {
		if d.v < 0 {
			l.Addf(d.field, "must not be negative, got %v", d.v)
		}
	}
	if c.MaxBackoff > 0 && c.MaxBackoff < max(c.InitialBackoff, 0) {
		l.Addf("MaxBackoff", "must be at least InitialBackoff (%v), got %v", c.InitialBackoff, c.MaxBackoff)
	}
	for _, n := range []struct {
		field string
		v     int
	}{{"PerHostConcurrency", c.PerHostConcurrency}, {"Workers", c.Workers}, {"BatchSize", c.BatchSize}} {
		if n.v < 0 {
			l.Addf(n.field, "must not be negative, got %d", n.v)
		}
	}
	return l.Err()
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&c.RetryFor, DefaultRetryFor)
	setDur(&c.InitialBackoff, DefaultInitialBackoff)
	setDur(&c.MaxBackoff, DefaultMaxBackoff)
	c.MaxBackoff = max(c.MaxBackoff, c.InitialBackoff)
	setDur(&c.Timeout, DefaultTimeout)
	setDur(&c.PollInterval, DefaultPollInterval)
	setDur(&c.StopGrace, c.Timeout)
	if c.PerHostConcurrency <= 0 {
		c.PerHostConcurrency = DefaultPerHostConcurrency
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.HTTPClient == nil {
		c.HTTPClient = DefaultHTTPClient(c.PerHostConcurrency, c.AllowPrivateNetworks)
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
