package api

import (
	"context"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// TestUnlimitedTenantCostsNoRedisBeyondCreate checks, by the Redis
// server's own counts (INFO commandstats), that POST /sms of a tenant with
// no rate limit and no daily quota, sent without Idempotency-Key, runs
// exactly the commands of storing the request (the same number of each
// as calling store.CreateRequest directly): no limit, quota or
// idempotency command is paid for a feature the tenant does not use. A
// tenant with both limits must cost more (the check can see a limit).
//
// The store has a Redis of its own, so nothing else (other tests, the
// registry's polling) adds to the counts.
func TestUnlimitedTenantCostsNoRedisBeyondCreate(t *testing.T) {
	own, _ := testenv.OwnRedis(t)
	su := testSetup()
	su.tenants[1].Limits.MaxRequestsPerSec = 1_000_000 // beta: limited, never refused
	su.tenants[1].Limits.MaxSegmentsPerDay = 1_000_000_000
	h := &harness{env: own, store: store.New(own.Client, store.Options{Prefix: own.Prefix})}
	h.registry = newRegistry(t, testenv.Redis(t), su, zerolog.Nop())
	h.srv = New(Deps{Store: h.store, Registry: h.registry, Config: su.cfg, Metrics: metrics.New(), Logger: zerolog.Nop()})
	h.ts = httptest.NewServer(h.srv.Handler())
	t.Cleanup(h.ts.Close)
	body := map[string]any{"to": []string{"13800138000"}, "content": "Your code is 123456", "client_ref": "x"}

	const n = 20
	snap := h.registry.Snapshot()
	acme, _ := snap.Tenant("acme")
	_, offset := time.Now().In(snap.Location(acme)).Zone()
	// Warm up both ways: scripts loaded, once-a-day counters created.
	h.mustAccept(t, acmeKey, body)
	createDirect(t, h.store, offset)
	before := commandCounts(t, own)
	for range n {
		h.mustAccept(t, acmeKey, body)
	}
	viaAPI := commandCounts(t, own).minus(before)

	before = commandCounts(t, own)
	for range n {
		createDirect(t, h.store, offset)
	}
	direct := commandCounts(t, own).minus(before)
	if viaAPI.String() != direct.String() {
		t.Fatalf("%d POST /sms of an unlimited tenant ran %s; %d CreateRequest alone run %s", n, viaAPI, n, direct)
	}

	h.mustAccept(t, betaKey, body) // loads the limit scripts
	before = commandCounts(t, own)
	for range n {
		h.mustAccept(t, betaKey, body)
	}
	limited := commandCounts(t, own).minus(before)
	if limited.total() < direct.total()+2*n {
		t.Fatalf("%d POST /sms of a limited tenant ran %s, not 2 more commands each than CreateRequest alone (%s): the count cannot see a limit", n, limited, direct)
	}
}

// createDirect stores a request like the POST /sms of the test above
// (acme, whose zone is utcOffset seconds east of UTC).
func createDirect(t *testing.T, st *store.Store, utcOffset int) {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = st.CreateRequest(ctx, store.NewRequest{
		ID: id.String(), Tenant: "acme", Channel: "cm1", CallbackURL: "https://acme.example/hook", ClientRef: "x",
		Recipients: []string{"13800138000"}, Segments: []store.Segment{{Content: []byte("Your code is 123456")}},
		UTCOffset: utcOffset, CreatedAt: time.Now(), Deadline: st.CreateDeadline(),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// cmdCounts maps a Redis command name to its number of calls.
type cmdCounts map[string]int

// commandCounts reads INFO commandstats of env's server (INFO itself left
// out).
func commandCounts(t *testing.T, env *testenv.RedisEnv) cmdCounts {
	t.Helper()
	info, err := env.Client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := cmdCounts{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok || name == "cmdstat_info" {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		out[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.Atoi(calls)
	}
	return out
}

// minus is c - o, commands whose count did not change left out.
func (c cmdCounts) minus(o cmdCounts) cmdCounts {
	out := cmdCounts{}
	for k, v := range c {
		if d := v - o[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// total is the number of calls of every command.
func (c cmdCounts) total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// String lists the counts sorted by name ("evalsha=20 set=20").
func (c cmdCounts) String() string {
	var parts []string
	for k, v := range c {
		parts = append(parts, k+"="+strconv.Itoa(v))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
