package registry

import (
	"errors"
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// Demo mode runs on the embedded store (miniredis): import, changes, a
// lost race and pub/sub work there too.
func TestEmbeddedStore(t *testing.T) {
	env := testenv.Miniredis(t)
	f, other := newFixture(t, env, Options{}), newFixture(t, env, Options{})
	if err := f.reg.Import(ctx(t), []Tenant{configTenant("demo", "demo-key", "cm1")}, []Channel{testChannel("cm1")}); err != nil {
		t.Fatal(err)
	}
	other.run(t)
	if _, err := f.reg.CreateTenant(ctx(t), admin, testTenant("shop", "cm1")); err != nil {
		t.Fatal(err)
	}
	key, _, err := f.reg.CreateKey(ctx(t), admin, "shop")
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, converge, "the other registry authenticates the new key", func() bool {
		_, _, ok := other.reg.Snapshot().Authenticate(key)
		return ok
	})
	// A change computed at an old version is refused by the script.
	if _, err := f.reg.apply(ctx(t), 0, &changeSet{channels: []*Channel{{Name: "x"}}}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale change: %v, want ErrConflict", err)
	}
}
