package registry

import (
	"slices"
	"time"
)

// Tenant is one customer account: an item of config.yaml tenants[], the
// body of the admin tenant routes, and the record kept in Redis. It is the
// only tenant type: the API authenticates with it, the sender and the
// webhook dispatcher read it from the registry's Snapshot.
type Tenant struct {
	// Name identifies the tenant in logs, events and URLs; unique, of the
	// channel name's form.
	Name string `yaml:"name" json:"name"`
	// KeySHA256 is the hex SHA-256 of the API key of a tenant managed by
	// config (keys are never stored in clear). `smsbridge hash-key` prints
	// it. Tenants made through the admin API have Keys instead.
	KeySHA256 string `yaml:"key_sha256" json:"key_sha256,omitempty"`
	// CallbackURL is the default webhook URL ("" = no webhooks unless a
	// request names one).
	CallbackURL string `yaml:"callback_url" json:"callback_url"`
	// WebhookSecret signs webhooks (HMAC-SHA256). Required, at least
	// MinSecretLen bytes. Never returned by the API.
	WebhookSecret string `yaml:"webhook_secret" json:"webhook_secret"`
	// Channels the tenant may use; the first is its default. At least one.
	Channels []string `yaml:"channels" json:"channels"`
	// MOExt routes MO messages whose Dest_Id extension starts with it to
	// this tenant (the longest matching MOExt wins).
	MOExt string `yaml:"mo_ext" json:"mo_ext"`
	// Default marks the tenant receiving MO messages no other tenant
	// takes; at most one.
	Default bool `yaml:"default" json:"default"`
	// WebhookBatchMax, above 1, sends the tenant's webhooks in batches of
	// up to that many events per POST (a JSON array). 0 or 1: one event
	// per POST. 0..MaxWebhookBatch. Default 0.
	WebhookBatchMax int `yaml:"webhook_batch_max" json:"webhook_batch_max"`
	// WebhookHosts, when not empty, lists the only hosts the tenant's
	// callback URLs may name: "hooks.example.com", "*.example.com" or an
	// IP address. It narrows webhook.allow_private_networks, never widens
	// it. Default empty: any host.
	WebhookHosts []string `yaml:"webhook_hosts" json:"webhook_hosts"`
	// Limits caps the tenant's traffic (0 = no limit).
	Limits Limits `yaml:"limits" json:"limits"`
	// TimeZone is the IANA zone the tenant's days are counted in (daily
	// quota and usage). Default DefaultTimeZone.
	TimeZone string `yaml:"time_zone" json:"time_zone"`
	// Weight is the tenant's share of each channel it uses when several
	// tenants have a backlog (weighted fair queueing): 1..store.MaxWeight,
	// default store.DefaultWeight (the store owns both: weights are used
	// by its scripts).
	Weight int `yaml:"weight" json:"weight"`
	// Disabled refuses the tenant's API keys (403 tenant_disabled); what
	// it already queued is still sent and reported.
	Disabled bool `yaml:"disabled" json:"disabled"`
	// CMPP, when set, lets the tenant's CMPP client log in to smsbridge's
	// CMPP server (see CMPPAccess).
	CMPP *CMPPAccess `yaml:"cmpp" json:"cmpp,omitempty"`
	// Routes send each recipient by its carrier (see Routes). Empty: each
	// recipient goes to the default channel if it reaches the number's
	// carrier, else to the first allowed channel that does.
	Routes Routes `yaml:"routes" json:"routes,omitempty"`

	// State is kept by the registry, never read from config.yaml.
	State TenantState `yaml:"-" json:"state"`
}

// Limits caps one tenant's traffic across all replicas.
type Limits struct {
	// MaxRequestsPerSec answers POST /sms with 429 and Retry-After above
	// this rate. 0 = unlimited.
	MaxRequestsPerSec int `yaml:"max_requests_per_sec" json:"max_requests_per_sec"`
	// MaxSegmentsPerDay answers 429 quota_exceeded once the tenant's
	// accepted segments of the day (in its TimeZone) would exceed it.
	// 0 = unlimited.
	MaxSegmentsPerDay int64 `yaml:"max_segments_per_day" json:"max_segments_per_day"`
}

// TenantState is what the registry keeps of a tenant beyond its settings.
type TenantState struct {
	// ManagedBy is ManagedByConfig or ManagedByAPI.
	ManagedBy string `json:"managed_by"`
	// Keys are the tenant's API keys (hashes only).
	Keys []APIKey `json:"keys"`
	// PreviousSecret still signs webhooks, beside WebhookSecret, until
	// PreviousUntil (secret rotation without downtime).
	PreviousSecret string    `json:"previous_secret,omitempty"`
	PreviousUntil  time.Time `json:"previous_until,omitzero"`
	// CreatedAt and UpdatedAt are set by the registry.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// DeletedAt, when set, marks a deleted tenant: its keys no longer
	// authenticate and it is hidden from Snapshot.Tenant, Tenants,
	// Authenticate and RouteMO, but kept so that what it queued is still
	// sent and its webhooks signed (Snapshot.TenantForWebhooks).
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// APIKey is one API key of a tenant. The key itself is shown once, when
// it is created; only its SHA-256 is stored.
type APIKey struct {
	// ID names the key in the admin API and logs (not secret).
	ID string `json:"id"`
	// SHA256 is the hex SHA-256 of the key.
	SHA256 string `json:"sha256"`
	// CreatedAt is when the key was created (for a config key: when the
	// config was first imported with it).
	CreatedAt time.Time `json:"created_at"`
}

// Tenant defaults and bounds, stated here once (the weight's are the
// store's: store.DefaultWeight, store.MaxWeight).
const (
	// DefaultTimeZone is the zone a tenant's days are counted in.
	DefaultTimeZone = "Asia/Shanghai"
	// MinSecretLen is the shortest webhook secret (and admin key), in
	// bytes: shorter ones can be guessed.
	MinSecretLen = 16
	// MaxWebhookBatch is the largest webhook_batch_max: the webhook
	// dispatcher leases at most this many events per store call, and a
	// batch holds events of one lease.
	MaxWebhookBatch = 128
)

// Deleted reports whether the tenant was deleted (see TenantState).
func (t *Tenant) Deleted() bool { return t.State.DeletedAt != nil }

// Allows reports whether the tenant may use channel.
func (t *Tenant) Allows(channel string) bool { return slices.Contains(t.Channels, channel) }

// DefaultChannel is the tenant's first channel ("" when it has none).
func (t *Tenant) DefaultChannel() string {
	if len(t.Channels) == 0 {
		return ""
	}
	return t.Channels[0]
}

// Secrets returns the secrets that sign the tenant's webhooks at now: the
// current one, then the previous one while its overlap lasts.
func (t *Tenant) Secrets(now time.Time) []string {
	if t.State.PreviousSecret != "" && now.Before(t.State.PreviousUntil) {
		return []string{t.WebhookSecret, t.State.PreviousSecret}
	}
	return []string{t.WebhookSecret}
}
