// Package config holds smsbridge's configuration: the YAML file, its
// documented defaults, the SMSBRIDGE_* environment overrides and validation
// that names the offending key.
package config

import (
	"github.com/smsbridge/smsbridge/cmppserver"
	"github.com/smsbridge/smsbridge/internal/carrier"
	"github.com/smsbridge/smsbridge/registry"
)

// Config is the whole service configuration. Every field has a yaml key;
// the environment variable overriding it is SMSBRIDGE_ followed by the key
// path in upper case joined with "_" (see ApplyEnv).
type Config struct {
	// HTTP is the public API listener.
	HTTP HTTP `yaml:"http"`
	// Redis is where queues and state live. An empty Addr selects the
	// embedded in-memory store (demo mode: nothing is persisted).
	Redis Redis `yaml:"redis"`
	// Log controls logging.
	Log Log `yaml:"log"`
	// Channels are the ISMG accounts messages are sent through, managed
	// by config (see package registry). May be empty: accounts can also
	// be made through the admin API.
	Channels []registry.Channel `yaml:"channels"`
	// Tenants are the API clients managed by config; each names channels
	// of this file. May be empty.
	Tenants []registry.Tenant `yaml:"tenants"`
	// Webhook configures the event dispatcher.
	Webhook Webhook `yaml:"webhook"`
	// Text configures splitting of message content into segments.
	Text Text `yaml:"text"`
	// Queue configures leases, retries and report waits.
	Queue Queue `yaml:"queue"`
	// CMPPServer is the CMPP server tenants' own CMPP clients log in to
	// (tenants[].cmpp); off while its Addr is empty. Its defaults and
	// checks are the cmppserver package's (FillDefaults, Validate).
	CMPPServer cmppserver.Config `yaml:"cmpp_server"`
	// Carriers tells the carrier of a number (number ranges, overrides,
	// portability, lookup hook). Its defaults and checks are the carrier
	// package's (FillDefaults, Validate).
	Carriers carrier.Config `yaml:"carriers"`
	// Simulator, when Embedded, runs the ISMG simulator in-process (demo).
	Simulator Simulator `yaml:"simulator"`
	// ShutdownTimeout bounds the SIGTERM drain. Default 30s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// HTTP configures the API listener.
type HTTP struct {
	// Addr is the listen address. Default "127.0.0.1:8080".
	Addr string `yaml:"addr"`
	// MaxBodyBytes caps a request body; larger bodies get 413 before they
	// are read whole. Default 1048576.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// AdminKey, when set, enables the admin endpoints (dead letters) for
	// Bearer tokens equal to it; at least registry.MinSecretLen (16)
	// bytes. Stored
	// as given; keep it out of the file and set SMSBRIDGE_HTTP_ADMIN_KEY
	// instead.
	AdminKey string `yaml:"admin_key"`
}

// Redis selects the Redis deployment.
type Redis struct {
	// Addr is host:port of a single Redis, or a comma-separated list of
	// Cluster seed nodes or Sentinel addresses. Empty = embedded store.
	Addr string `yaml:"addr"`
	// MasterName selects Sentinel mode when set.
	MasterName string `yaml:"master_name"`
	// Cluster selects Redis Cluster mode even with a single seed address
	// (several addresses without master_name select it too).
	Cluster bool `yaml:"cluster"`
	// Username and Password authenticate (ACL / requirepass).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DB is the database number (single and Sentinel only). Default 0.
	DB int `yaml:"db"`
	// Prefix starts every key: no '{', '}', ':' or whitespace. Default
	// "sb".
	Prefix string `yaml:"prefix"`
	// PoolSize is the connection pool size (per node). Senders, the
	// webhook dispatcher and the API share it; go-redis's own default (10
	// per CPU) made them queue for connections under load. Default 100.
	PoolSize int `yaml:"pool_size"`
	// Timeout bounds each Redis network operation (dial, write, read).
	// Twice it is the create deadline of POST /sms: a create Redis runs
	// later (e.g. queued while the server was paused) does nothing, so a
	// 503 never hides a queued request. Default 3s.
	Timeout Duration `yaml:"timeout"`
}

// Log controls logging.
type Log struct {
	// Level is one of debug, info, warn, error. Default info. Phone
	// numbers and content are logged only at debug.
	Level string `yaml:"level"`
}

// Webhook configures the dispatcher.
type Webhook struct {
	// RetryFor is how long delivery is retried before dead-lettering.
	// Default 24h.
	RetryFor Duration `yaml:"retry_for"`
	// InitialBackoff and MaxBackoff bound the exponential back-off.
	// Defaults 1s and 10m.
	InitialBackoff Duration `yaml:"initial_backoff"`
	MaxBackoff     Duration `yaml:"max_backoff"`
	// Timeout bounds one POST. Default 10s.
	Timeout Duration `yaml:"timeout"`
	// PerHostConcurrency caps concurrent POSTs per host. Default 32.
	PerHostConcurrency int `yaml:"per_host_concurrency"`
	// AllowPrivateNetworks lets webhooks reach loopback, private (RFC
	// 1918, RFC 4193), link-local (cloud metadata), CGNAT and other
	// non-public addresses, by URL and by name. Default false: such
	// callback URLs are refused here and at POST /sms, and a name
	// resolving there is refused at connect time. The shipped demo
	// config sets it (its receiver is on 127.0.0.1).
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
	// SecretOverlap is how long a tenant's previous webhook secret keeps
	// signing (a second v1 value) after the admin API rotates it, so
	// receivers can switch without losing a webhook. Default 24h.
	SecretOverlap Duration `yaml:"secret_overlap"`
}

// Text configures segmenting.
type Text struct {
	// MaxSegments per message; longer content gets 422. Default 10.
	MaxSegments int `yaml:"max_segments"`
	// SignatureReserve characters left free per segment for a signature
	// the operator adds. Default 0.
	SignatureReserve int `yaml:"signature_reserve"`
	// UDH16 selects the 7-byte UDH (16-bit reference). Default false.
	UDH16 bool `yaml:"udh16"`
}

// Queue configures the Redis queue.
type Queue struct {
	// LeaseTTL is how long a leased segment stays invisible without a
	// heartbeat. Default 30s.
	LeaseTTL Duration `yaml:"lease_ttl"`
	// MappingTTL keeps Msg_Id → segment mappings. Default 72h.
	MappingTTL Duration `yaml:"mapping_ttl"`
	// ReportWait is how long a submitted segment waits for its report
	// before it becomes final as unknown. Default 48h.
	ReportWait Duration `yaml:"report_wait"`
	// Retention keeps final requests readable. Default 168h.
	Retention Duration `yaml:"retention"`
	// FlowControlTimeout is how long a Result 8 storm (no SUBMIT of the
	// channel accepted in between) may last before segments answered
	// Result 8 fail with "flow_control"; until then they are resent while
	// the channel's send rate is cut. Default 10m.
	FlowControlTimeout Duration `yaml:"flow_control_timeout"`
	// FlowControlRetries was the cap on Result 8 resends; failures are
	// time-based now (FlowControlTimeout). The key is kept only so that a
	// file still setting it gets an error saying what replaced it.
	//
	// Deprecated: use FlowControlTimeout.
	FlowControlRetries int `yaml:"flow_control_retries"`
	// MaxRecoveries is how many times a segment whose lease expired (its
	// worker died or stalled) is queued again; the next expiry makes it
	// final 'unknown' with error code worker_lost. At least 1. Default 5.
	MaxRecoveries int `yaml:"max_recoveries"`
	// LinkSlotLease is how long a replica's link slot of a channel with
	// max_links (and its liveness) lasts without a renewal (every third
	// of it): a crashed replica's slots return within it. Default 15s
	// (sender.DefaultSlotLease).
	LinkSlotLease Duration `yaml:"link_slot_lease"`
	// UsageRetention is how long a tenant's daily usage counters (GET
	// /admin/tenants/{name}/usage) are kept. Default 400 days (9600h).
	UsageRetention Duration `yaml:"usage_retention"`
}

// Simulator configures the in-process ISMG simulator.
type Simulator struct {
	// Embedded starts the simulator inside the service and points
	// channels with an empty Addr at it.
	Embedded bool `yaml:"embedded"`
	// ReportDelay before each status report. Default 200ms.
	ReportDelay Duration `yaml:"report_delay"`
	// WebhookReceiver, in demo mode, is the listen address of a built-in
	// webhook receiver that checks signatures, logs every event and lists
	// the last ones at GET /webhooks ("" = none).
	WebhookReceiver string `yaml:"webhook_receiver"`
}

// Duration is a time.Duration written as "30s" in YAML (the registry's
// type, shared by channels and the rest of the file).
type Duration = registry.Duration
