package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// converge is how soon a change must be seen by another replica.
const converge = time.Second

// twoReplicas returns two registries on one Redis; the second runs (with
// or without pub/sub) and its Changed channel.
func twoReplicas(t *testing.T, pubsub bool) (r1, r2 *Registry, changed <-chan struct{}) {
	t.Helper()
	env := testenv.Redis(t)
	f1, f2 := newFixture(t, env, Options{}), newFixture(t, env, Options{})
	f2.reg.noPubSub = !pubsub
	if err := f1.reg.Import(ctx(t), nil, []Channel{testChannel("cm1")}); err != nil {
		t.Fatal(err)
	}
	if err := f2.reg.Import(ctx(t), nil, []Channel{testChannel("cm1")}); err != nil {
		t.Fatal(err)
	}
	changed = f2.reg.Changed()
	f2.run(t)
	return f1.reg, f2.reg, changed
}

// checkConvergence: a tenant and key made on replica 1 authenticate on
// replica 2 within a second; a revoked key is refused there within a
// second; a deleted channel stops being listed.
func checkConvergence(t *testing.T, r1, r2 *Registry, changed <-chan struct{}) {
	t.Helper()
	if _, err := r1.CreateTenant(ctx(t), admin, testTenant("acme", "cm1")); err != nil {
		t.Fatal(err)
	}
	key, meta, err := r1.CreateKey(ctx(t), admin, "acme")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	testenv.WaitFor(t, converge, "replica 2 authenticates the new key", func() bool {
		_, _, ok := r2.Snapshot().Authenticate(key)
		return ok
	})
	t.Logf("key usable on replica 2 after %v", time.Since(start))
	if !testenv.Signalled(changed) {
		t.Error("Changed() was not signalled after a new snapshot")
	}
	if err := r1.RevokeKey(ctx(t), admin, "acme", meta.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := r1.Snapshot().Authenticate(key); ok {
		t.Fatal("revoked key authenticates on the replica that revoked it")
	}
	start = time.Now()
	testenv.WaitFor(t, converge, "replica 2 refuses the revoked key", func() bool {
		_, _, ok := r2.Snapshot().Authenticate(key)
		return !ok
	})
	t.Logf("revocation seen on replica 2 after %v", time.Since(start))
	if _, err := r1.CreateChannel(ctx(t), admin, testChannel("cm2")); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, converge, "replica 2 lists the new channel", func() bool { return len(r2.Snapshot().Channels()) == 2 })
	if err := r1.DeleteChannel(ctx(t), admin, "cm2"); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, converge, "replica 2 drops the deleted channel", func() bool { return len(r2.Snapshot().Channels()) == 1 })
}

func TestTwoReplicasConvergeViaPubSub(t *testing.T) {
	r1, r2, changed := twoReplicas(t, true)
	checkConvergence(t, r1, r2, changed)
}

// With pub/sub gone (lost messages), the version poll alone converges.
func TestTwoReplicasConvergeViaPollAlone(t *testing.T) {
	r1, r2, changed := twoReplicas(t, false)
	checkConvergence(t, r1, r2, changed)
}

// A dropped subscription is made again (with backoff) and a change is
// seen through pub/sub alone (the poll is an hour here).
func TestPubSubResubscribes(t *testing.T) {
	env, _ := testenv.OwnRedis(t) // CLIENT KILL must hit no other test
	f1, f2 := newFixture(t, env, Options{}), newFixture(t, env, Options{Poll: time.Hour})
	if err := f1.reg.Import(ctx(t), nil, []Channel{testChannel("cm1")}); err != nil {
		t.Fatal(err)
	}
	subscribed := func() bool {
		n, err := env.Client.PubSubNumSub(ctx(t), f2.reg.keys.RegistryEvents()).Result()
		return err == nil && n[f2.reg.keys.RegistryEvents()] == 1
	}
	f2.run(t)
	testenv.WaitFor(t, 2*time.Second, "replica 2 subscribed", subscribed)
	testenv.WaitFor(t, converge, "replica 2 loaded the channel", func() bool { return len(f2.reg.Snapshot().Channels()) == 1 })
	if err := env.Client.Do(ctx(t), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 2*time.Second, "replica 2 subscribed again", subscribed)
	if _, err := f1.reg.CreateChannel(ctx(t), admin, testChannel("cm2")); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, converge, "replica 2 sees the change through pub/sub", func() bool { return len(f2.reg.Snapshot().Channels()) == 2 })
	if !strings.Contains(f2.log.String(), "registry pub/sub failed") {
		t.Error("the lost subscription was not logged")
	}
}
