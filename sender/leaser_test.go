package sender

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// Jobs leased in a batch are handed to the workers as their rate tokens
// are granted, not all at once when the last token is: an ISMG that
// enforces the contracted rate then never answers Result 8.
func TestChannelRateLimitSpreadsBatch(t *testing.T) {
	const rate = 10
	r := newRig(t, ismgsim.Config{Accounts: []ismgsim.Account{{SPID: testSP, Secret: testSecret, MaxSubmitsPerSec: rate}}},
		func(s *Settings) { s.MaxSubmitsPerSec = rate })
	testenv.WaitFor(t, 5*time.Second, "two links", func() bool { return r.sim.Links(testSP) == 2 })
	r.enqueue(t, "spread", 3*rate, []byte("hi")) // one lease batch: 2 links × window 16 ≥ 30
	testenv.WaitFor(t, 20*time.Second, "delivered", func() bool {
		return r.status(t, "spread").Status == store.RequestDelivered
	})
	if c := r.sim.Counts()[testSP]; c.FlowControlled != 0 {
		t.Fatalf("client limit at the ISMG's rate drew %d Result 8: %+v", c.FlowControlled, c)
	}
}

// The leaser, waiting for its next poll, starts at once on a JobsQueued
// signal of its channel in Deps.Wake (the API or the maintainer queued
// work in this process). A hub that does not know the channel is refused.
func TestLeaserIdleWakesOnJobsQueued(t *testing.T) {
	env := testenv.Redis(t)
	hub := wake.New("default")
	deps := Deps{Store: store.New(env.Client, store.Options{Prefix: env.Prefix}), Wake: hub}
	c, err := NewChannel(Settings{Name: "default"}, deps)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); c.idle(context.Background(), time.Hour) }()
	hub.JobsQueued("default")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("idle did not wake on JobsQueued")
	}
	if _, err := NewChannel(Settings{Name: "other"}, deps); err == nil {
		t.Fatal("a channel unknown to Deps.Wake was accepted")
	}
}
