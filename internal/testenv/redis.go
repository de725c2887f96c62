package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Kind says where a RedisEnv's server comes from.
type Kind string

// Kinds of environment.
const (
	// KindExternal is the server at $REDIS_ADDR (or $REDIS_CLUSTER_ADDRS).
	KindExternal Kind = "external"
	// KindPrivate is a redis-server started by this package.
	KindPrivate Kind = "private"
	// KindMiniredis is an in-process miniredis.
	KindMiniredis Kind = "miniredis"
)

// RedisEnv is one test's view of a Redis: a client, the key prefix the test
// must use, and where the server comes from.
type RedisEnv struct {
	// Client talks to the server (a *redis.ClusterClient for Cluster).
	Client redis.UniversalClient
	// Addr is the server address (the first node for a cluster).
	Addr string
	// Addrs lists every node (one entry unless Cluster).
	Addrs []string
	// Prefix is random per test; every key the test writes must contain
	// "<Prefix>:" so that cleanup finds it.
	Prefix string
	// Real is true for a real redis-server (external or private).
	Real bool
	// Cluster is true for a Redis Cluster.
	Cluster bool
	// Kind says where the server comes from.
	Kind Kind
	// Mini is the miniredis instance when Kind is KindMiniredis, else nil.
	Mini *miniredis.Miniredis
}

// inCI reports whether $CI is "true": a real Redis is then mandatory.
func inCI() bool { return os.Getenv("CI") == "true" }

// randomPrefix returns "t" plus 10 random hex digits.
func randomPrefix() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}

// shared private server (one per test binary).
var (
	privateMu  sync.Mutex
	private    *server
	privateErr error
)

// privateServer starts the shared private redis-server on first use.
func privateServer() (*server, error) {
	privateMu.Lock()
	defer privateMu.Unlock()
	if private != nil || privateErr != nil {
		return private, privateErr
	}
	dir, err := tempDir("testenv-redis-")
	if err != nil {
		privateErr = err
		return nil, err
	}
	private, privateErr = startServer(dir, false)
	return private, privateErr
}

// Redis returns a Redis for t: $REDIS_ADDR, else a private redis-server,
// else miniredis (a t.Fatal under CI=true). See the package doc.
func Redis(t testing.TB) *RedisEnv {
	t.Helper()
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		return newEnv(t, KindExternal, []string{addr}, false)
	}
	if redisServerPath() != "" {
		srv, err := privateServer()
		if err != nil {
			t.Fatalf("testenv: private redis-server: %v", err)
		}
		return newEnv(t, KindPrivate, []string{srv.addr}, false)
	}
	if inCI() {
		t.Fatal("testenv: CI=true requires a real Redis: set REDIS_ADDR or put redis-server on PATH")
	}
	t.Log("testenv: NOTICE: no REDIS_ADDR and no redis-server on PATH; running against miniredis (not a real Redis)")
	return Miniredis(t)
}

// Miniredis returns an environment on a fresh in-process miniredis, closed
// at cleanup. Use it to check that code also works in demo mode.
func Miniredis(t testing.TB) *RedisEnv {
	t.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		t.Fatalf("testenv: miniredis: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	env := &RedisEnv{
		Client: c, Addr: m.Addr(), Addrs: []string{m.Addr()},
		Prefix: randomPrefix(), Kind: KindMiniredis, Mini: m,
	}
	t.Cleanup(func() {
		_ = c.Close()
		m.Close()
	})
	return env
}

// newEnv connects to addrs, checks the server answers and registers the
// per-prefix cleanup.
func newEnv(t testing.TB, kind Kind, addrs []string, cluster bool) *RedisEnv {
	t.Helper()
	var c redis.UniversalClient
	if cluster {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	} else {
		c = redis.NewClient(&redis.Options{Addr: addrs[0]})
	}
	env := &RedisEnv{
		Client: c, Addr: addrs[0], Addrs: addrs, Prefix: randomPrefix(),
		Real: true, Cluster: cluster, Kind: kind,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		t.Fatalf("testenv: Redis at %v (%s) does not answer: %v", addrs, kind, err)
	}
	t.Cleanup(func() {
		if err := env.deleteAll(); err != nil {
			t.Errorf("testenv: cleanup of prefix %s: %v", env.Prefix, err)
		}
		_ = c.Close()
	})
	return env
}

// Pattern is the SCAN pattern matching every key of the environment,
// including keys under prefixes a test derives from it (a second gateway
// on Prefix+"-silent", say): the random prefix is unique enough.
func (e *RedisEnv) Pattern() string { return "*" + e.Prefix + "*" }

// deleteAll removes every key matching Pattern (on every master).
func (e *RedisEnv) deleteAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cc, ok := e.Client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			return deleteMatching(ctx, n, e.Pattern())
		})
	}
	return deleteMatching(ctx, e.Client, e.Pattern())
}

// deleteMatching SCANs one node and UNLINKs every key matching pattern, one
// key per command so that cluster slots never mix.
func deleteMatching(ctx context.Context, c redis.Cmdable, pattern string) error {
	it := c.Scan(ctx, 0, pattern, 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.Unlink(ctx, k)
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	for it.Next(ctx) {
		batch = append(batch, it.Val())
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	return flush()
}
