package loadgen

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Config configures one Run. Zero fields take the defaults listed with
// them.
type Config struct {
	// URL is the API base URL. Default DefaultURL.
	URL string
	// Key is the tenant API key (Bearer). Default DefaultKey (the demo
	// tenant of the shipped config.yaml).
	Key string
	// Rate is the target of POST /sms requests per second (> 0), started
	// on an open-loop schedule. Default 100.
	Rate float64
	// Concurrency caps HTTP requests in flight; a request that falls due
	// while all are busy starts late (see Report.StartLag). Default 64.
	Concurrency int
	// Duration is the send phase. Default 10 s.
	Duration time.Duration
	// Recipients per request (1..1000). Default 1.
	Recipients int
	// Content is the text sent; default the text of Segments segments.
	Content string
	// Segments sizes the generated text when Content is empty (1..10).
	// Default 1.
	Segments int
	// ReceiverAddr is where the webhook receiver listens. Default
	// "127.0.0.1:0" (a free port).
	ReceiverAddr string
	// CallbackURL overrides the callback_url sent with every request;
	// default "http://<receiver address>/hook" (an unspecified listen IP
	// becomes 127.0.0.1).
	CallbackURL string
	// WebhookSecret verifies X-Smsbridge-Signature when set; a webhook
	// with a bad signature is answered 401 and counted.
	WebhookSecret string
	// WebhookBatchMax is the service tenant's webhook_batch_max, echoed
	// in the report's settings only (the receiver takes both shapes
	// anyway); -spawn sets it. 0 = not known.
	WebhookBatchMax int
	// Drain bounds the wait for outstanding webhooks after the send
	// phase. Default 30 s.
	Drain time.Duration
	// MetricsURL is the service's Prometheus page; default URL +
	// "/metrics"; "off" disables scraping.
	MetricsURL string
	// RequestTimeout bounds one POST /sms. Default 30 s.
	RequestTimeout time.Duration
	// Progress receives one line per ProgressInterval; nil = none.
	Progress io.Writer
	// ProgressInterval is the progress period, also the period at which
	// /metrics is scraped for current rates and peak RSS. Default 1 s.
	ProgressInterval time.Duration
	// CPUProbes are extra processes whose CPU seconds the report shows
	// (read at the start and end of the window), e.g. the simulator and
	// Redis in spawn mode.
	CPUProbes []CPUProbe
	// RedisAddr is the Redis server whose own accounting (INFO cpu,
	// memory, commandstats) the report shows per message; "" = none. The
	// tool sends it nothing but INFO.
	RedisAddr string
	// Hold says the service's channel is held (its upstream unreachable):
	// nothing is sent, so no webhook is awaited and accepted recipients
	// are reported as queued, not lost.
	Hold bool
	// Preset names the preset the settings came from, echoed in the
	// report ("" = none).
	Preset string
}

// CPUProbe reads the cumulative CPU seconds of some process.
type CPUProbe struct {
	// Name labels the process in the report.
	Name string
	// Read returns its CPU seconds so far.
	Read func() (float64, error)
}

// Defaults of Config.
const (
	DefaultURL              = "http://127.0.0.1:8080"
	DefaultKey              = "demo-key"
	DefaultRate             = 100
	DefaultConcurrency      = 64
	DefaultDuration         = 10 * time.Second
	DefaultReceiverAddr     = "127.0.0.1:0"
	DefaultDrain            = 30 * time.Second
	DefaultRequestTimeout   = 30 * time.Second
	DefaultProgressInterval = time.Second
	// MetricsOff as Config.MetricsURL disables scraping.
	MetricsOff = "off"
)

// withDefaults fills zero fields and checks the others.
func (c Config) withDefaults() (Config, error) {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("url %q: want http(s)://host:port", c.URL)
	}
	if c.Key == "" {
		c.Key = DefaultKey
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Rate < 0 {
		return c, errors.New("rate must be positive")
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 0 {
		return c, errors.New("concurrency must be positive")
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Duration < 0 {
		return c, errors.New("duration must be positive")
	}
	if c.Recipients == 0 {
		c.Recipients = 1
	}
	if c.Recipients < 1 || c.Recipients > maxRecipient {
		return c, fmt.Errorf("recipients: %d, want 1..%d", c.Recipients, maxRecipient)
	}
	if c.Content == "" {
		if c.Segments == 0 {
			c.Segments = 1
		}
		content, err := ContentForSegments(c.Segments)
		if err != nil {
			return c, err
		}
		c.Content = content
	}
	if c.ReceiverAddr == "" {
		c.ReceiverAddr = DefaultReceiverAddr
	}
	if c.Drain == 0 {
		c.Drain = DefaultDrain
	}
	if c.MetricsURL == "" {
		c.MetricsURL = c.URL + "/metrics"
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	return c, nil
}
