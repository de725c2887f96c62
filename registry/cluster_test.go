package registry

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// On a Redis Cluster every registry key is in one slot (the script runs
// in strict "#!lua" mode, which refuses any other), and two replicas
// converge through pub/sub.
func TestClusterOneSlot(t *testing.T) {
	env := testenv.Cluster(t)
	k := store.Keys{Prefix: env.Prefix}
	keys := []string{k.RegistryTenants(), k.RegistryChannels(), k.RegistryVersion(), k.RegistryKeyIndex(), k.KeyLastUse()}
	for _, key := range keys[1:] {
		if clusterSlot(t, env, key) != clusterSlot(t, env, keys[0]) {
			t.Fatalf("%s is not in the slot of %s", key, keys[0])
		}
	}
	if k.RegistryTag() == k.Tag("registry") || k.RegistryTag() == k.Tag("_registry") && ValidName("_registry") {
		t.Fatal("the registry tag can be a channel's tag")
	}
	r1, r2 := newFixture(t, env, Options{}), newFixture(t, env, Options{})
	if err := r1.reg.Import(ctx(t), []Tenant{configTenant("acme", "acme-key", "cm1")}, []Channel{testChannel("cm1")}); err != nil {
		t.Fatal(err)
	}
	r2.run(t)
	if _, err := r1.reg.CreateTenant(ctx(t), admin, testTenant("shop", "cm1")); err != nil {
		t.Fatal(err)
	}
	key, _, err := r1.reg.CreateKey(ctx(t), admin, "shop")
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, converge, "replica 2 authenticates the new key", func() bool {
		_, _, ok := r2.reg.Snapshot().Authenticate(key)
		return ok
	})
	if _, _, ok := r2.reg.Snapshot().Authenticate("acme-key"); !ok {
		t.Fatal("config key refused on replica 2")
	}
}

// clusterSlot asks the cluster for key's slot.
func clusterSlot(t *testing.T, env *testenv.RedisEnv, key string) int64 {
	t.Helper()
	n, err := env.Client.(*redis.ClusterClient).ClusterKeySlot(ctx(t), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
