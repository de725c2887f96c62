package registry

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/store"
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
	// ErrInvalid: validation problems, as an *InvalidError whose
	// Problems each name the field with the JSON/YAML key relative to the
	// item, e.g. "limits.max_requests_per_sec: must not be negative"
	// (422).
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
// current. Its methods are safe for concurrent use.
type Registry struct {
	rdb  redis.UniversalClient
	keys store.Keys
	opts Options
	log  zerolog.Logger
	now  func() time.Time

	// strict runs the "#!lua" form of the script (single-slot check;
	// Redis 7+), as the store's Cluster tests do.
	strict bool
	// noPubSub leaves pub/sub out of Run (tests: the poll alone heals).
	noPubSub bool

	snap atomic.Pointer[Snapshot]
	// loadMu serialises snapshot reloads so that an older read never
	// replaces a newer snapshot.
	loadMu sync.Mutex
	// poke wakes Run to check the version (a pub/sub message came).
	poke chan struct{}

	subsMu sync.Mutex
	subs   []chan struct{}

	usage keyUsage
}

// New returns a registry over rdb; call Import (or Load) before Snapshot
// holds the stored accounts (until then it is empty).
func New(rdb redis.UniversalClient, opts Options) (*Registry, error) {
	if rdb == nil {
		return nil, errors.New("registry: New: no Redis client")
	}
	if opts.Prefix == "" {
		opts.Prefix = store.DefaultPrefix
	}
	if err := store.CheckPrefix("registry: Options.Prefix", opts.Prefix); err != nil {
		return nil, err
	}
	if opts.SecretOverlap < 0 || opts.Poll < 0 {
		return nil, errors.New("registry: Options.SecretOverlap and Options.Poll must not be negative")
	}
	if opts.SecretOverlap == 0 {
		opts.SecretOverlap = DefaultSecretOverlap
	}
	if opts.Poll == 0 {
		opts.Poll = DefaultPoll
	}
	r := &Registry{
		rdb:  rdb,
		keys: store.Keys{Prefix: opts.Prefix},
		opts: opts,
		log:  opts.Logger.With().Str("component", "registry").Logger(),
		now:  time.Now,
		poke: make(chan struct{}, 1),
	}
	r.usage.init()
	// Empty until the first load; version -1 so that the first check
	// always loads.
	r.snap.Store(NewSnapshot(-1, nil, nil))
	return r, nil
}

// Snapshot returns the current accounts (never nil; empty before the
// first Import or Load).
func (r *Registry) Snapshot() *Snapshot { return r.snap.Load() }

// Changed returns a channel that receives (coalesced) after every new
// snapshot; each caller gets its own. Sends never block: a subscriber that
// is slow sees one signal for several snapshots.
func (r *Registry) Changed() <-chan struct{} {
	c := make(chan struct{}, 1)
	r.subsMu.Lock()
	r.subs = append(r.subs, c)
	r.subsMu.Unlock()
	return c
}

// notify signals every Changed subscriber without blocking.
func (r *Registry) notify() {
	r.subsMu.Lock()
	defer r.subsMu.Unlock()
	for _, c := range r.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Actor identifies who makes a change, for the audit log.
type Actor struct {
	// ID is the admin credential's id (e.g. "admin:3f2a9c01", a prefix of
	// the admin key's SHA-256), never the credential itself.
	ID string
	// RemoteAddr is the client address.
	RemoteAddr string
}
