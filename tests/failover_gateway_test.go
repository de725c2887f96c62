package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// The gateway as built from config.yaml: a channel whose ISMG goes away
// fails over after no_link_for (GET /readyz names it, the metric shows
// it, its queue is held), and fails back once the ISMG is there again for
// healthy_for, when the held segments go out. (Moving them to another
// channel meanwhile needs the router and store.MoveUnsent: see
// internal/failover.)
func TestGatewayChannelFailsOverAndBack(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	addr := sim.Addr()
	yml := string(gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: addr}.yaml())
	yml = strings.Replace(yml, "response_timeout: 5s}", "response_timeout: 5s,\n     failover: {no_link_for: 1s, healthy_for: 1s}}", 1)
	cfg, err := config.Parse([]byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	base := startGatewayConfig(t, cfg)
	c := api{t: t, base: base}
	ready := func() (int, map[string]string) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rd struct {
			FailedOver map[string]string `json:"failed_over"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, rd.FailedOver
	}
	testenv.WaitFor(t, 20*time.Second, "ready", func() bool { code, _ := ready(); return code == 200 })
	c.waitStatus(c.send(numbers(1000, 2), "before").ID, 15*time.Second, "delivered")

	_ = sim.Close()
	testenv.WaitFor(t, 30*time.Second, "failed over on no_link", func() bool {
		_, down := ready()
		return down["default"] == "no_link"
	})
	metrics := func() string {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if m := metrics(); !strings.Contains(m, `smsbridge_channel_down{channel="default"} 1`) {
		t.Fatalf("smsbridge_channel_down not 1 while failed over")
	}
	held := c.send(numbers(2000, 3), "held")

	sim2, err := ismgsim.NewServer(ismgsim.Config{Addr: addr, ReportDelay: 20 * time.Millisecond,
		Accounts: []ismgsim.Account{{SPID: spID, Secret: spSecret}}, MaxReceived: 1000})
	if err != nil {
		t.Fatalf("restart the simulator on %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = sim2.Close() })
	testenv.WaitFor(t, 30*time.Second, "failed back", func() bool {
		_, down := ready()
		return len(down) == 0
	})
	c.waitStatus(held.ID, 20*time.Second, "delivered")
	if n := len(sim2.Received()); n != 3 {
		t.Fatalf("the restarted ISMG received %d SUBMITs, want the 3 held ones", n)
	}
	if m := metrics(); !strings.Contains(m, `smsbridge_channel_down{channel="default"} 0`) {
		t.Fatalf("smsbridge_channel_down not 0 after the failback")
	}
}
