package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { Main(m) }

// checkCleanup writes keys under a subtest's prefix and verifies they are
// gone once the subtest (and so its cleanup) has finished.
func checkCleanup(t *testing.T, open func(testing.TB) *RedisEnv) {
	t.Helper()
	var (
		outer  redis.UniversalClient
		prefix string
		keys   []string
	)
	outerEnv := open(t)
	outer = outerEnv.Client
	t.Run("write", func(t *testing.T) {
		env := open(t)
		prefix = env.Prefix
		if !strings.HasPrefix(prefix, "t") || len(prefix) != 11 {
			t.Fatalf("prefix %q: want t + 10 hex digits", prefix)
		}
		for _, k := range []string{"{" + prefix + ":a}:x", "{" + prefix + ":b}:y", prefix + ":idx:1"} {
			env.SeedHash(t, k, map[string]string{"f": "v"})
			keys = append(keys, k)
		}
		if got := env.HGetAll(t, keys[0]); got["f"] != "v" {
			t.Fatalf("read-back: %v", got)
		}
		if got := env.Keys(t); len(got) != 3 {
			t.Fatalf("Keys: %v, want 3", got)
		}
	})
	if outerEnv.Kind == KindMiniredis {
		return // each miniredis environment is its own server, closed at cleanup
	}
	ctx := context.Background()
	for _, k := range keys {
		n, err := outer.Exists(ctx, k).Result()
		if err != nil || n != 0 {
			t.Errorf("key %s survived cleanup (exists=%d, err=%v)", k, n, err)
		}
	}
}

func TestRedisCleanup(t *testing.T) {
	checkCleanup(t, Redis)
	env := Redis(t)
	t.Logf("kind=%s real=%v addr=%s", env.Kind, env.Real, env.Addr)
	if env.Kind != KindMiniredis && !env.Real {
		t.Fatalf("kind %s must be real", env.Kind)
	}
}

func TestMiniredis(t *testing.T) {
	checkCleanup(t, Miniredis)
	env := Miniredis(t)
	if env.Real || env.Mini == nil {
		t.Fatalf("miniredis env: Real=%v Mini=%v", env.Real, env.Mini)
	}
}

func TestCluster(t *testing.T) {
	checkCleanup(t, Cluster)
	env := Cluster(t)
	if !env.Cluster || len(env.Addrs) != 3 {
		t.Fatalf("cluster env: %+v", env)
	}
	ctx := context.Background()
	// A multi-key command across slots must fail: it proves this is a
	// real cluster and not a single node.
	a, b := "{"+env.Prefix+":a}:k", "{"+env.Prefix+":b}:k"
	err := env.Client.MSet(ctx, a, "1", b, "2").Err()
	if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("MSET across slots: err=%v, want CROSSSLOT", err)
	}
	// Keys land on different masters and Keys finds them all.
	for i := range 30 {
		k := "{" + env.Prefix + ":" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "}:k"
		env.Do(t, "SET", k, "v")
	}
	if got := env.Keys(t); len(got) != 30 {
		t.Fatalf("Keys on cluster: %d, want 30", len(got))
	}
	masters := 0
	cc := env.Client.(*redis.ClusterClient)
	ch := make(chan int64, 8)
	err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		v, err := n.DBSize(ctx).Result()
		ch <- v
		return err
	})
	close(ch)
	if err != nil {
		t.Fatal(err)
	}
	for v := range ch {
		if v > 0 {
			masters++
		}
	}
	if masters < 2 {
		t.Fatalf("keys spread over %d masters, want >= 2", masters)
	}
}

func TestWaitFor(t *testing.T) {
	done := make(chan struct{})
	go func() { close(done) }()
	WaitFor(t, 5*time.Second, "goroutine closed done", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
}
