package registry

// SCAFFOLD: the signatures below are the contract the api and gateway code
// against; the registry helper replaces every body (and this comment).

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Errors of the registry's changes; the admin API maps them to HTTP codes.
var (
	// ErrNotFound: no tenant, channel or key of that name (404).
	ErrNotFound = errors.New("registry: not found")
	// ErrExists: the name is taken (409).
	ErrExists = errors.New("registry: already exists")
	// ErrManagedByConfig: the account comes from config.yaml and is
	// read-only through the API (409).
	ErrManagedByConfig = errors.New("registry: managed by config")
	// ErrInvalid wraps validation problems; each names its field with the
	// JSON/YAML key, e.g. "limits.max_requests_per_sec: must not be
	// negative" (422).
	ErrInvalid = errors.New("registry: invalid")
	// ErrConflict: a concurrent change won; retry (409).
	ErrConflict = errors.New("registry: concurrent change")
)

// Options configure a Registry.
type Options struct {
	// Prefix is the Redis key prefix (store.Options.Prefix).
	Prefix string
	// AllowPrivateNetworks and the tenant's WebhookHosts decide which
	// callback URLs validation accepts (webhook.allow_private_networks).
	AllowPrivateNetworks bool
	// AllowEmptyChannelAddr accepts channels without addr (demo mode: the
	// embedded simulator's address is filled in).
	AllowEmptyChannelAddr bool
	// SecretOverlap is how long the previous webhook secret keeps signing
	// after a rotation. Default DefaultSecretOverlap.
	SecretOverlap time.Duration
	// Poll is the period of the version check that heals a lost pub/sub
	// message. Default DefaultPoll.
	Poll time.Duration
	// Logger receives the audit log of every change (component=registry).
	Logger zerolog.Logger
}

// Defaults of Options.
const (
	DefaultSecretOverlap = 24 * time.Hour
	DefaultPoll          = 500 * time.Millisecond
)

// Registry stores accounts in Redis and keeps this replica's Snapshot
// current.
type Registry struct{}

// New returns a registry over rdb; call Import (or Load) before Snapshot.
func New(rdb redis.UniversalClient, opts Options) (*Registry, error) { panic("scaffold") }

// Import makes the accounts of config.yaml the config-managed ones
// (replacing config-managed ones no longer listed), then loads the
// snapshot. It fails when a name in the file belongs to an account made
// through the API.
func (r *Registry) Import(ctx context.Context, tenants []Tenant, channels []Channel) error {
	panic("scaffold")
}

// Run keeps the snapshot current until ctx is done: it reloads on each
// change notice (pub/sub) and whenever the stored version differs at a
// poll. Subscribers are notified after each new snapshot.
func (r *Registry) Run(ctx context.Context) error { panic("scaffold") }

// Snapshot returns the current accounts (never nil after Import).
func (r *Registry) Snapshot() *Snapshot { panic("scaffold") }

// Changed returns a channel that receives (coalesced) after every new
// snapshot; each caller gets its own.
func (r *Registry) Changed() <-chan struct{} { panic("scaffold") }

// Actor identifies who makes a change, for the audit log.
type Actor struct {
	// ID is the admin credential's id (e.g. "admin:3f2a9c01", a prefix of
	// the admin key's SHA-256), never the credential itself.
	ID string
	// RemoteAddr is the client address.
	RemoteAddr string
}

// CreateTenant stores a new tenant made through the API (ManagedByAPI,
// no keys yet) and returns it as stored.
func (r *Registry) CreateTenant(ctx context.Context, who Actor, t Tenant) (*Tenant, error) {
	panic("scaffold")
}

// UpdateTenant applies change to a copy of the stored tenant and stores
// it if valid. A new WebhookSecret moves the old one to
// State.PreviousSecret for SecretOverlap.
func (r *Registry) UpdateTenant(ctx context.Context, who Actor, name string, change func(*Tenant) error) (*Tenant, error) {
	panic("scaffold")
}

// DeleteTenant removes a tenant made through the API: its keys stop
// authenticating at once; what it queued is still sent and its webhooks
// signed (the record is kept, hidden, until retention passes).
func (r *Registry) DeleteTenant(ctx context.Context, who Actor, name string) error {
	panic("scaffold")
}

// CreateKey adds an API key to tenant and returns the key (shown once)
// and its record.
func (r *Registry) CreateKey(ctx context.Context, who Actor, tenant string) (key string, meta APIKey, err error) {
	panic("scaffold")
}

// RevokeKey removes key keyID of tenant.
func (r *Registry) RevokeKey(ctx context.Context, who Actor, tenant, keyID string) error {
	panic("scaffold")
}

// KeyUsed records that keyID authenticated a request now; written to
// Redis at most once a minute per key and replica, never blocking.
func (r *Registry) KeyUsed(keyID string) { panic("scaffold") }

// KeysLastUsed returns the last-use time of keyIDs (zero when never).
func (r *Registry) KeysLastUsed(ctx context.Context, keyIDs []string) (map[string]time.Time, error) {
	panic("scaffold")
}

// CreateChannel stores a new channel made through the API; a deleted
// channel of the same name returns (its queue with it).
func (r *Registry) CreateChannel(ctx context.Context, who Actor, c Channel) (*Channel, error) {
	panic("scaffold")
}

// UpdateChannel applies change to a copy of the stored channel and stores
// it if valid.
func (r *Registry) UpdateChannel(ctx context.Context, who Actor, name string, change func(*Channel) error) (*Channel, error) {
	panic("scaffold")
}

// DeleteChannel marks a channel made through the API deleted (its links
// stop on every replica; its data stays).
func (r *Registry) DeleteChannel(ctx context.Context, who Actor, name string) error {
	panic("scaffold")
}
