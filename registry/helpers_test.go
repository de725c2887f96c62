package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixture is a registry on a test Redis, with its audit log captured.
type fixture struct {
	env *testenv.RedisEnv
	reg *Registry
	log *testenv.LogBuffer
}

// admin is the actor of the tests' changes.
var admin = Actor{ID: "admin:3f2a9c01", RemoteAddr: "127.0.0.1:40000"}

// newFixture returns a registry on env (strict single-slot scripts on a
// Cluster), not running.
func newFixture(t *testing.T, env *testenv.RedisEnv, opts Options) *fixture {
	t.Helper()
	buf := &testenv.LogBuffer{}
	opts.Prefix = env.Prefix
	opts.Logger = zerolog.New(buf)
	opts.AllowPrivateNetworks = true
	r, err := New(env.Client, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.strict = env.Cluster
	return &fixture{env: env, reg: r, log: buf}
}

// run starts Run until the test ends.
func (f *fixture) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.reg.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v, want context.Canceled", err)
		}
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// testChannel returns a valid channel called name.
func testChannel(name string) Channel {
	return Channel{Name: name, Addr: "127.0.0.1:7890", SPID: "900001", Secret: "chan-secret-" + name, SrcID: "1065800001"}
}

// testTenant returns a valid tenant called name on channels.
func testTenant(name string, channels ...string) Tenant {
	return Tenant{Name: name, WebhookSecret: "hook-secret-0123456789-" + name, Channels: channels,
		CallbackURL: "http://127.0.0.1:9/hook"}
}

// mustInvalid checks that err is ErrInvalid naming every one of wants.
func mustInvalid(t *testing.T, err error, wants ...string) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want ErrInvalid", err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
