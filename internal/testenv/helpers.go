package testenv

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ctx returns a context bounded to 10 s for one helper call.
func helperCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// Keys returns every key of the environment (matching Pattern), sorted,
// from every master of a cluster.
func (e *RedisEnv) Keys(t testing.TB) []string {
	t.Helper()
	ctx, cancel := helperCtx()
	defer cancel()
	var keys []string
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, e.Pattern(), 1000).Iterator()
		for it.Next(ctx) {
			keys = append(keys, it.Val())
		}
		return it.Err()
	}
	var err error
	if cc, ok := e.Client.(*redis.ClusterClient); ok {
		// ForEachMaster runs nodes concurrently: collect per node.
		ch := make(chan []string, clusterMasters*4)
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			var local []string
			it := n.Scan(ctx, 0, e.Pattern(), 1000).Iterator()
			for it.Next(ctx) {
				local = append(local, it.Val())
			}
			ch <- local
			return it.Err()
		})
		close(ch)
		for l := range ch {
			keys = append(keys, l...)
		}
	} else {
		err = scan(ctx, e.Client)
	}
	if err != nil {
		t.Fatalf("testenv: SCAN %s: %v", e.Pattern(), err)
	}
	sort.Strings(keys)
	return keys
}

// Do runs one raw command and fails t on error (redis.Nil included).
func (e *RedisEnv) Do(t testing.TB, args ...any) any {
	t.Helper()
	ctx, cancel := helperCtx()
	defer cancel()
	v, err := e.Client.Do(ctx, args...).Result()
	if err != nil {
		t.Fatalf("testenv: %v: %v", args, err)
	}
	return v
}

// HGetAll reads a hash (empty map when the key is missing).
func (e *RedisEnv) HGetAll(t testing.TB, key string) map[string]string {
	t.Helper()
	ctx, cancel := helperCtx()
	defer cancel()
	m, err := e.Client.HGetAll(ctx, key).Result()
	if err != nil {
		t.Fatalf("testenv: HGETALL %s: %v", key, err)
	}
	return m
}

// Get reads a string key; ok is false when it is missing.
func (e *RedisEnv) Get(t testing.TB, key string) (value string, ok bool) {
	t.Helper()
	ctx, cancel := helperCtx()
	defer cancel()
	v, err := e.Client.Get(ctx, key).Result()
	if err == redis.Nil {
		return "", false
	}
	if err != nil {
		t.Fatalf("testenv: GET %s: %v", key, err)
	}
	return v, true
}

// TTL returns a key's remaining time to live (-1 without TTL, -2 missing,
// as Redis answers, in whole durations).
func (e *RedisEnv) TTL(t testing.TB, key string) time.Duration {
	t.Helper()
	ctx, cancel := helperCtx()
	defer cancel()
	d, err := e.Client.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatalf("testenv: PTTL %s: %v", key, err)
	}
	return d
}

// SeedHash writes fields into a hash.
func (e *RedisEnv) SeedHash(t testing.TB, key string, fields map[string]string) {
	t.Helper()
	ctx, cancel := helperCtx()
	defer cancel()
	args := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		args = append(args, k, v)
	}
	if err := e.Client.HSet(ctx, key, args...).Err(); err != nil {
		t.Fatalf("testenv: HSET %s: %v", key, err)
	}
}

// Exists reports whether key exists.
func (e *RedisEnv) Exists(t testing.TB, key string) bool {
	t.Helper()
	ctx, cancel := helperCtx()
	defer cancel()
	n, err := e.Client.Exists(ctx, key).Result()
	if err != nil {
		t.Fatalf("testenv: EXISTS %s: %v", key, err)
	}
	return n == 1
}

// Signalled reports whether a wake-up signal (a channel of one, as in
// internal/wake) is pending, and consumes it. It never blocks.
func Signalled(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// WaitFor polls cond every 5 ms until it returns true, failing t with msg
// after timeout. It is the way to wait for asynchronous effects in tests
// (never time.Sleep).
func WaitFor(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("testenv: condition not met after %v: %s", timeout, msg)
		case <-tick.C:
		}
	}
}
