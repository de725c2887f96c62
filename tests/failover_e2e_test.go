package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// twoChannelConfig routes China Mobile numbers to cm1, then cm2 when cm1
// is failed over.
func twoChannelConfig(t *testing.T, env *testenv.RedisEnv, a, b string) *config.Config {
	t.Helper()
	return twoChannelConfigWith(t, env, a, b, "{no_link_for: 1s, healthy_for: 2s}")
}

// twoChannelConfigWith is twoChannelConfig with cm1's failover section.
func twoChannelConfigWith(t *testing.T, env *testenv.RedisEnv, a, b, failover string) *config.Config {
	t.Helper()
	sum := sha256.Sum256([]byte(apiKey))
	yml := fmt.Sprintf(`
http: {addr: "127.0.0.1:0"}
redis: {addr: %q, prefix: %q}
log: {level: info}
shutdown_timeout: 10s
channels:
  - {name: cm1, addr: %q, sp_id: %q, secret: %q, src_id: %q, carriers: [cmcc], response_timeout: 2s,
     failover: %s}
  - {name: cm2, addr: %q, sp_id: %q, secret: %q, src_id: %q, carriers: [cmcc], response_timeout: 2s}
tenants:
  - name: acme
    key_sha256: %s
    webhook_secret: %q
    channels: [cm1, cm2]
    routes:
      cmcc: [{cm1: 1}, {cm2: 1}]
`, env.Addr, env.Prefix, a, spID, spSecret, srcID, failover, b, spID, spSecret, srcID, hex.EncodeToString(sum[:]), webhookSecret)
	cfg, err := config.Parse([]byte(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// cm1's ISMG dies mid-load: the segments not yet submitted go out on
// cm2, no number is sent on both channels, and cm1 takes the traffic
// again once it is back.
func TestFailoverKillMidLoad(t *testing.T) {
	env := testenv.Redis(t)
	simA, simB := newSim(t, 0, nil), newSim(t, 0, nil)
	// cm1 answers slowly, so that most of the load is still queued when
	// its ISMG dies.
	simA.SetFaults(ismgsim.Faults{ResponseDelay: 200 * time.Millisecond})
	addrA := simA.Addr()
	c := api{t: t, base: startGatewayConfig(t, twoChannelConfig(t, env, addrA, simB.Addr()))}
	var ids []string
	for i := range 50 {
		ids = append(ids, c.send(numbers(100000+i*20, 20), "load").ID)
	}
	testenv.WaitFor(t, 60*time.Second, "cm1 took part of the load", func() bool { return len(simA.Received()) >= 200 })
	sentA := map[string]bool{}
	_ = simA.Close()
	for _, r := range simA.Received() {
		sentA[r.Dest] = true
	}
	testenv.WaitFor(t, 60*time.Second, "cm2 took the rest", func() bool { return len(simB.Received()) > 0 })
	// While cm1 is dead, only what may have reached it waits for it
	// (submitted, or scheduled again after its link died mid-SUBMIT):
	// nothing stays queued or leased there, not even the jobs leased into
	// the sender's buffer when the links died.
	for _, id := range ids {
		testenv.WaitFor(t, 60*time.Second, "request "+id+" holds on cm1 only what may have been sent", func() bool {
			for _, r := range c.get(id).Recipients {
				for _, sg := range r.Segments {
					if sg.Status != "delivered" && sg.Status != "submitted" && sg.Status != "scheduled" {
						return false
					}
				}
			}
			return true
		})
	}
	simA2, err := ismgsim.NewServer(ismgsim.Config{Addr: addrA, ReportDelay: 20 * time.Millisecond,
		Accounts: []ismgsim.Account{{SPID: spID, Secret: spSecret}}, MaxReceived: 200000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = simA2.Close() })
	for _, id := range ids {
		c.waitStatus(id, 120*time.Second, "delivered")
	}
	for _, r := range simA2.Received() { // in flight when cm1 died: resent on cm1 only
		sentA[r.Dest] = true
	}
	seenB := map[string]int{}
	for _, r := range simB.Received() {
		if sentA[r.Dest] {
			t.Fatalf("%s was sent on cm1 and again on cm2", r.Dest)
		}
		if seenB[r.Dest]++; seenB[r.Dest] > 1 {
			t.Fatalf("%s sent twice on cm2", r.Dest)
		}
	}
	if len(sentA)+len(seenB) != 1000 {
		t.Fatalf("cm1 sent %d numbers and cm2 %d, want 1000 in all", len(sentA), len(seenB))
	}
	// cm1 is used again once it failed back.
	before := len(simA2.Received())
	testenv.WaitFor(t, 60*time.Second, "cm1 takes new traffic after the failback", func() bool {
		id := c.send(numbers(900000, 1), "after").ID
		c.waitStatus(id, 30*time.Second, "delivered")
		return len(simA2.Received()) > before
	})
}

// cm1 refuses every SUBMIT with a problem Result: no segment fails, cm1
// fails over, and everything goes out on cm2.
func TestFailoverOnProblemResult(t *testing.T) {
	env := testenv.Redis(t)
	simA, simB := newSim(t, 0, nil), newSim(t, 0, nil)
	simA.SetFaults(ismgsim.Faults{ForceResult: 9})
	c := api{t: t, base: startGatewayConfig(t, twoChannelConfigWith(t, env, simA.Addr(), simB.Addr(),
		"{problem_results: [9], healthy_for: 1m}"))}
	var ids []string
	for i := range 10 {
		ids = append(ids, c.send(numbers(200000+i*10, 10), "refused on cm1").ID)
	}
	for _, id := range ids {
		c.waitStatus(id, 60*time.Second, "delivered")
	}
	if n := len(simB.Received()); n != 100 {
		t.Fatalf("cm2 received %d SUBMITs, want all 100", n)
	}
}

// cm1's reports fail: the failure share trips it and later traffic goes
// out on cm2.
func TestFailoverOnFailureShare(t *testing.T) {
	env := testenv.Redis(t)
	simA, simB := newSim(t, 0, nil), newSim(t, 0, nil)
	simA.SetFaults(ismgsim.Faults{FailReportRatio: 1})
	c := api{t: t, base: startGatewayConfig(t, twoChannelConfigWith(t, env, simA.Addr(), simB.Addr(),
		"{failure_share: 0.5, window: 4s, min_segments: 20, healthy_for: 1m}"))}
	first := c.send(numbers(300000, 40), "fails on cm1").ID
	c.waitStatus(first, 60*time.Second, "failed", "partially_delivered")
	testenv.WaitFor(t, 60*time.Second, "later traffic on cm2", func() bool {
		id := c.send(numbers(400000, 1), "after").ID
		c.waitStatus(id, 30*time.Second, "delivered", "failed")
		return len(simB.Received()) > 0
	})
}
