package store

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store is the Redis-backed queue and state of smsbridge. It is safe for
// concurrent use; it holds no state besides the client, the options and
// its shared group committer of creates (Creates).
type Store struct {
	rdb  redis.UniversalClient
	opts Options
	keys Keys
	// creates is the group committer Creates returns.
	creates *CreateGroup
	// strictSlots runs the "#!lua" form of the scripts (Redis 7+ only):
	// see script. Set by tests.
	strictSlots bool
}

// New returns a Store on rdb. opts zero fields take their defaults.
// Options that Validate refuses panic (a programming error): check
// options built from outside input with Options.Validate first.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	opts = opts.withDefaults()
	s := &Store{rdb: rdb, opts: opts, keys: Keys{Prefix: opts.Prefix}}
	s.creates = NewCreateGroup(s, DefaultCreateInFlight)
	return s
}

// Creates returns the store's shared group committer: concurrent callers
// of its Create share CreateRequests calls (see CreateGroup). The HTTP
// API stores POST /sms requests through it.
func (s *Store) Creates() *CreateGroup { return s.creates }

// Keys returns the key builders of this store (for tools and tests).
func (s *Store) Keys() Keys { return s.keys }

// Options returns the options in effect (defaults filled in).
func (s *Store) Options() Options { return s.opts }

// Client returns the Redis client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// RedisConfig selects and configures the Redis deployment. One setting
// picks the mode: MasterName → Sentinel, two or more Addrs (or Cluster) →
// Redis Cluster, else a single server.
type RedisConfig struct {
	// Addrs are host:port addresses: the server, the Sentinels, or cluster
	// seed nodes. Default ["127.0.0.1:6379"].
	Addrs []string
	// MasterName is the Sentinel master name; set it to use Sentinel.
	MasterName string
	// Cluster forces Redis Cluster mode with a single seed address.
	Cluster bool
	// Username and Password authenticate (ACL user or requirepass).
	Username, Password string
	// DB is the database number (single server and Sentinel only).
	DB int
	// TLS enables TLS with the system roots when TLSConfig is nil.
	TLS bool
	// TLSConfig is the TLS configuration to use (implies TLS).
	TLSConfig *tls.Config
	// PoolSize is the connection pool size per node (default: go-redis's
	// 10 per CPU).
	PoolSize int
	// Timeout bounds each network operation: dial, write, read (default:
	// go-redis's 5 s dial, 3 s read and write).
	Timeout time.Duration
}

// NewClient builds the client RedisConfig describes. It does not connect;
// call Ping to check the server.
func NewClient(cfg RedisConfig) (redis.UniversalClient, error) {
	addrs := cfg.Addrs
	if len(addrs) == 0 {
		addrs = []string{"127.0.0.1:6379"}
	}
	for _, a := range addrs {
		if !strings.Contains(a, ":") {
			return nil, fmt.Errorf("%w: RedisConfig.Addrs: %q is not host:port", ErrInvalid, a)
		}
	}
	if cfg.DB != 0 && (cfg.Cluster || (len(addrs) > 1 && cfg.MasterName == "")) {
		return nil, fmt.Errorf("%w: RedisConfig.DB: Redis Cluster has only database 0", ErrInvalid)
	}
	tlsCfg := cfg.TLSConfig
	if tlsCfg == nil && cfg.TLS {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:         addrs,
		MasterName:    cfg.MasterName,
		IsClusterMode: cfg.Cluster && cfg.MasterName == "",
		Username:      cfg.Username,
		Password:      cfg.Password,
		DB:            cfg.DB,
		TLSConfig:     tlsCfg,
		PoolSize:      cfg.PoolSize,
		DialTimeout:   cfg.Timeout,
		ReadTimeout:   cfg.Timeout,
		WriteTimeout:  cfg.Timeout,
	}), nil
}

// now returns the current time of the store's clock.
func (s *Store) now() time.Time { return s.opts.Now() }

// ms formats t as milliseconds since the epoch.
func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// secs formats d as whole seconds, at least 1.
func secs(d time.Duration) string {
	n := int64(d / time.Second)
	if n < 1 {
		n = 1
	}
	return strconv.FormatInt(n, 10)
}

// msDur formats d as whole milliseconds, at least 1.
func msDur(d time.Duration) string {
	n := d.Milliseconds()
	if n < 1 {
		n = 1
	}
	return strconv.FormatInt(n, 10)
}

// fromMS parses a millisecond timestamp; "" or garbage is the zero time.
func fromMS(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// nonce returns a random event-id prefix, unique per script call: events
// a call creates are "<nonce>-<n>".
func nonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cleanField replaces the '|' separator of the compact encodings in a value
// coming from the network or the caller.
func cleanField(v string) string {
	if strings.IndexByte(v, '|') < 0 {
		return v
	}
	return strings.ReplaceAll(v, "|", "/")
}

// checkChannel validates a channel name.
func checkChannel(channel string) error { return validateName("channel", channel) }

// run runs a script and wraps its error with the operation name.
func (s *Store) run(ctx context.Context, op string, sc *script, keys []string, args ...any) (any, error) {
	v, err := s.cmd(ctx, sc, keys, args...).Result()
	if err != nil && err != redis.Nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return v, nil
}

// cmd runs a script in the form the store uses.
func (s *Store) cmd(ctx context.Context, sc *script, keys []string, args ...any) *redis.Cmd {
	if s.strictSlots {
		return sc.strict.Run(ctx, s.rdb, keys, args...)
	}
	return sc.plain.Run(ctx, s.rdb, keys, args...)
}

// finalized shortens the request-index TTL of requests that just became
// final to Retention (their hash got the same TTL in the script). It is
// best effort: the index keeps IndexTTL otherwise, and an orphan index is
// harmless.
func (s *Store) finalized(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.Expire(ctx, s.keys.RequestIndex(id), s.opts.Retention)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: shorten request index TTL: %w", err)
	}
	return nil
}

// Reply decoding helpers (script replies are arrays of strings, integers
// and nested arrays).

func asSlice(v any) ([]any, bool) {
	a, ok := v.([]any)
	return a, ok
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

func asInt(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

// stringsOf converts an array reply to strings.
func stringsOf(v any) []string {
	a, _ := asSlice(v)
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = asString(x)
	}
	return out
}

// codesAndFinals splits a {codes, finals} reply.
func codesAndFinals(v any) (codes, finals []string, err error) {
	a, ok := asSlice(v)
	if !ok || len(a) != 2 {
		return nil, nil, fmt.Errorf("%w: %T", ErrBadReply, v)
	}
	return stringsOf(a[0]), stringsOf(a[1]), nil
}
