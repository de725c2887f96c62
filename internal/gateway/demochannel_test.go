package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
)

// In demo mode a channel created at runtime without addr is pointed at the
// embedded simulator, which gets an account for it: its links log in; a
// new secret updates that account, so the replaced links log in too; the
// deleted channel's links stop.
func TestDemoRuntimeChannelUsesTheEmbeddedSimulator(t *testing.T) {
	env := testenv.Redis(t)
	cfg, err := config.Parse([]byte(genBase), []string{"SMSBRIDGE_REDIS_ADDR=" + env.Addr, "SMSBRIDGE_REDIS_PREFIX=" + env.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	who := registry.Actor{ID: "admin:test"}
	if _, err := gw.Registry().CreateChannel(ctx, who, registry.Channel{Name: "second", SPID: "900009",
		Secret: "first-secret", SrcID: "1065800009", Links: 1}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, "channel second logged in to the embedded simulator", func() bool {
		return gw.senders.ChannelsReady()["second"] && gw.sim.Links("900009") == 1
	})
	if _, err := gw.Registry().UpdateChannel(ctx, who, "second", func(ch *registry.Channel) error {
		ch.Secret = "second-secret"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, "the simulator account takes the new secret", func() bool {
		for _, a := range gw.sim.Accounts() {
			if a.SPID == "900009" {
				return a.Secret == "second-secret"
			}
		}
		return false
	})
	testenv.WaitFor(t, 5*time.Second, "the replaced channel logged in", func() bool {
		return gw.senders.ChannelsReady()["second"] && gw.sim.Links("900009") == 1
	})
	if err := gw.Registry().DeleteChannel(ctx, who, "second"); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, "the deleted channel's links stopped", func() bool {
		_, running := gw.senders.ChannelsReady()["second"]
		return !running && gw.sim.Links("900009") == 0
	})
}
