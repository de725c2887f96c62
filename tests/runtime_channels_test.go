package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/gateway"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// tester is the actor of the registry changes the tests make.
var tester = registry.Actor{ID: "admin:test", RemoteAddr: "127.0.0.1"}

// runtimeSetup is two gateways on one Redis (one configured channel and
// tenant), and a second simulator whose account runtime channels use.
type runtimeSetup struct {
	env    *testenv.RedisEnv
	sim    *ismgsim.Server // the runtime channels' ISMG
	gws    []*gateway.Gateway
	rcv    *receiver
	reg    *registry.Registry // gateway 1's registry: the changes go through it
	st     *store.Store
	cfgOne *config.Config
}

const (
	rtSP, rtSecret = "900002", "rt-secret-1"
)

func newRuntimeSetup(t *testing.T, gateways int) *runtimeSetup {
	t.Helper()
	env := testenv.Redis(t)
	base := newSim(t, 0, nil) // the configured channel's
	sim := newSim(t, 0, func(c *ismgsim.Config) {
		c.Accounts = []ismgsim.Account{{SPID: rtSP, Secret: rtSecret}}
	})
	r := &runtimeSetup{env: env, sim: sim, rcv: newReceiver(t)}
	for range gateways {
		cfg, err := config.Parse(gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: base.Addr(), Callback: r.rcv.URL()}.yaml(), nil)
		if err != nil {
			t.Fatal(err)
		}
		r.gws = append(r.gws, runGateway(t, cfg))
		r.cfgOne = cfg
	}
	r.reg = r.gws[0].Registry()
	r.st = store.New(env.Client, r.cfgOne.StoreOptions())
	return r
}

// channel is a runtime channel on the second simulator.
func (r *runtimeSetup) channel(name string, links, window, rate int) registry.Channel {
	return registry.Channel{Name: name, Addr: r.sim.Addr(), SPID: rtSP, Secret: rtSecret, SrcID: srcID,
		ServiceID: "TEST", Links: links, Window: window, MaxSubmitsPerSec: rate,
		ResponseTimeout: registry.Duration(5 * time.Second)}
}

// tenant makes an API tenant allowed on channels (the first its default)
// and returns a client of gateway i with its new key.
func (r *runtimeSetup) tenant(t *testing.T, name string, channels ...string) (key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := r.reg.CreateTenant(ctx, tester, registry.Tenant{Name: name, Channels: channels,
		CallbackURL: r.rcv.URL(), WebhookSecret: webhookSecret}); err != nil {
		t.Fatal(err)
	}
	key, _, err := r.reg.CreateKey(ctx, tester, name)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// client is an API client of gateway i with key.
func (r *runtimeSetup) client(t *testing.T, i int, key string) api {
	return api{t: t, base: "http://" + r.gws[i].Addr(), key: key}
}

// A channel created through the registry at runtime gets logged-in links
// on both gateways within a few seconds and carries traffic from both;
// deleted, its links stop on both and its queued segments stay queued;
// created again, it sends them.
func TestRuntimeChannelOnTwoGateways(t *testing.T) {
	r := newRuntimeSetup(t, 2)
	ctx := context.Background()
	// Slow enough (100/s) that a backlog is still queued when it is deleted.
	if _, err := r.reg.CreateChannel(ctx, tester, r.channel("extra", 1, 8, 100)); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, "one link of channel extra per gateway", func() bool { return r.sim.Links(rtSP) == 2 })

	key := r.tenant(t, "rt", "extra", "default")
	var waiting []string
	for i := range 2 {
		// Both replicas know the new tenant and channel within a second.
		var acc accepted
		testenv.WaitFor(t, 2*time.Second, fmt.Sprintf("gateway %d accepts the tenant's request", i), func() bool {
			code, body := r.client(t, i, key).do("POST", "/sms", map[string]any{"to": numbers(1000*i, 5), "content": "hello"}, nil)
			if code != 202 {
				return false
			}
			acc = decodeAccepted(t, body)
			return true
		})
		waiting = append(waiting, acc.ID)
	}
	for _, id := range waiting {
		r.client(t, 0, key).waitStatus(id, 10*time.Second, "delivered")
	}
	if n := len(r.sim.ReceivedFor(rtSP, 0)); n != 10 {
		t.Fatalf("channel extra sent %d segments, want 10", n)
	}

	// A backlog, then the channel is deleted (the tenant lets go of it
	// first, as the registry requires).
	backlog := r.client(t, 1, key).send(numbers(5000, 400), "backlog")
	if _, err := r.reg.UpdateTenant(ctx, tester, "rt", func(tn *registry.Tenant) error {
		tn.Channels = []string{"default"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.reg.DeleteChannel(ctx, tester, "extra"); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, "channel extra's links stopped on both gateways", func() bool { return r.sim.Links(rtSP) == 0 })
	sent := len(r.sim.ReceivedFor(rtSP, 0)) - 10
	q, err := r.st.QueueDepth(ctx, "extra")
	if err != nil {
		t.Fatal(err)
	}
	// What the drain released waits for a retry (scheduled): queued too.
	if q.Pending == 0 || q.Leased != 0 || int(q.Pending+q.Scheduled)+sent < 400 {
		t.Fatalf("after the delete: %d sent, queue %+v; want the rest of 400 queued", sent, q)
	}
	if st := r.client(t, 0, key).get(backlog.ID); st.Status != "queued" && st.Status != "sending" {
		t.Errorf("backlog request is %s while its channel is deleted", st.Status)
	}
	if len(r.sim.ReceivedFor(rtSP, 0))-10 != sent {
		t.Error("segments were sent while the channel was deleted")
	}
	t.Logf("deleted with %d of 400 sent, %d pending, %d scheduled", sent, q.Pending, q.Scheduled)

	// Created again, it sends what was queued.
	if _, err := r.reg.CreateChannel(ctx, tester, r.channel("extra", 1, 8, 0)); err != nil {
		t.Fatal(err)
	}
	r.client(t, 0, key).waitStatus(backlog.ID, 20*time.Second, "delivered")
	if n := len(r.sim.ReceivedFor(rtSP, 0)); n != 410 {
		t.Errorf("channel extra sent %d segments in all, want 410 (each once)", n)
	}
}

// decodeAccepted decodes the 202 body of POST /sms.
func decodeAccepted(t *testing.T, body []byte) accepted {
	t.Helper()
	var acc accepted
	if err := json.Unmarshal(body, &acc); err != nil {
		t.Fatal(err)
	}
	return acc
}

// A channel's secret changed under load — on the ISMG first, then in the
// registry — replaces its links: no segment is lost, and none is sent
// twice beyond window × links (SUBMITs in flight whose answers the old
// links could not wait for).
func TestChannelSecretChangedUnderLoad(t *testing.T) {
	r := newRuntimeSetup(t, 1)
	ctx := context.Background()
	const links, window, rate = 2, 8, 400
	if _, err := r.reg.CreateChannel(ctx, tester, r.channel("rot", links, window, rate)); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, "channel rot logged in", func() bool { return r.sim.Links(rtSP) == links })
	key := r.tenant(t, "rot-tenant", "rot")
	c := r.client(t, 0, key)
	const requests, per = 12, 100 // 1,200 segments: 3 s at 400/s
	var ids []string
	for i := range requests {
		ids = append(ids, c.send(numbers(10000+i*per, per), "load").ID)
	}
	testenv.WaitFor(t, 5*time.Second, "sending under way", func() bool { return len(r.sim.ReceivedFor(rtSP, 0)) >= 200 })

	const newSecret = "rt-secret-2"
	acct := ismgsim.Account{SPID: rtSP, Secret: newSecret}
	if err := r.sim.UpdateAccount(acct); err != nil {
		t.Fatal(err)
	}
	if _, err := r.reg.UpdateChannel(ctx, tester, "rot", func(ch *registry.Channel) error {
		ch.Secret = newSecret
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	changedAt, changed := len(r.sim.ReceivedFor(rtSP, 0)), time.Now()
	for _, id := range ids {
		st := c.waitStatus(id, 30*time.Second, "delivered", "failed", "partially_failed")
		if st.Status != "delivered" {
			t.Errorf("request %s: %s", id, st.Status)
		}
	}
	seen := map[string]int{}
	for _, s := range r.sim.ReceivedFor(rtSP, 0) {
		if s.Result == 0 {
			seen[s.Dest]++
		}
	}
	dups := 0
	for dest := range seen {
		dups += seen[dest] - 1
	}
	if len(seen) != requests*per {
		t.Errorf("%d numbers reached the ISMG, want %d", len(seen), requests*per)
	}
	if dups > window*links {
		t.Errorf("%d segments sent twice, more than window × links = %d", dups, window*links)
	}
	if r.sim.Links(rtSP) != links {
		t.Errorf("%d links logged in after the change, want %d", r.sim.Links(rtSP), links)
	}
	t.Logf("secret changed after %d of %d segments; all delivered %v later; %d sent twice", changedAt, requests*per, time.Since(changed).Round(time.Millisecond), dups)
}
