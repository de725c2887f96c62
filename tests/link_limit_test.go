package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// Three smsbridge processes share one Redis prefix and one operator
// account with max_links 4 and links 4 each (they want 12). Replicas are
// SIGKILLed and restarted while traffic flows: the simulator never sees
// more than 4 links logged in at once (its recorded peak, not sampling),
// the 4 links come back after each kill once the dead replica's leases
// pass, every live replica gets a share, and every segment is delivered.
func TestMaxLinksAcrossReplicasWithKills(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	const lease = 2 * time.Second
	cfg := gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(),
		Links: 4, MaxLinks: 4, SlotLease: lease.String(), LeaseTTL: "2s", Rate: 300}
	procs := []*process{startProcess(t, cfg), startProcess(t, cfg), startProcess(t, cfg)}
	links := func() int { return sim.Counts()[spID].Links }
	// fair: 4 links logged in, each live replica holding a share (with
	// 3 live 2:1:1, with 2 live 2:2) and sending on it (readyz).
	fair := func(live []*process) func() bool {
		return func() bool {
			if links() != 4 {
				return false
			}
			total := 0
			for _, p := range live {
				n := slotsHeld(t, p)
				if n < 1 || !channelReady(t, p) {
					return false
				}
				total += n
			}
			return total == 4
		}
	}
	testenv.WaitFor(t, 30*time.Second, "3 replicas share the 4 links", fair(procs))

	c := api{t: t, base: procs[0].url()}
	var ids []string
	for i := range 4 {
		ids = append(ids, c.send(numbers(i*1000, 1000), "link limit").ID)
	}
	// Two rounds: SIGKILL a replica mid-load, the others take its slots
	// once its leases pass; restart it, it gets its share back.
	for round, victim := range []int{1, 2} {
		testenv.WaitFor(t, 30*time.Second, "traffic flowing", func() bool {
			return len(sim.Received()) >= (round+1)*500
		})
		procs[victim].kill()
		killed := time.Now()
		live := []*process{}
		for i, p := range procs {
			if i != victim {
				live = append(live, p)
			}
		}
		testenv.WaitFor(t, 30*time.Second, "the live replicas hold the 4 links again", fair(live))
		t.Logf("round %d: 4 links again %v after the SIGKILL (slot lease %v)", round, time.Since(killed).Round(time.Millisecond), lease)
		procs[victim] = startProcess(t, cfg)
		testenv.WaitFor(t, 30*time.Second, "the restarted replica gets its share", fair(procs))
	}
	for _, id := range ids {
		c.waitStatus(id, 120*time.Second, "delivered")
	}
	perDest := map[string]int{}
	for _, g := range sim.Received() {
		if g.Result == 0 {
			perDest[g.Dest]++
		}
	}
	if len(perDest) != 4000 {
		t.Fatalf("simulator accepted %d distinct recipients, want 4000", len(perDest))
	}
	dups := 0
	for _, n := range perDest {
		dups += n - 1
	}
	const bound = 2 * 16 * 2 // per kill: window × the victim's links (its share, at most 2)
	t.Logf("4,000 delivered; duplicates %d (bound %d); simulator peak %d links", dups, bound, sim.Counts()[spID].PeakLinks)
	if dups > bound {
		t.Fatalf("%d duplicates, more than %d", dups, bound)
	}
	if p := sim.Counts()[spID].PeakLinks; p > 4 {
		t.Fatalf("the simulator saw %d links logged in at once; max_links is 4", p)
	}
	for _, p := range procs {
		if code := p.terminate(t); code != 0 {
			t.Fatalf("SIGTERM exit code %d", code)
		}
	}
}

var slotsHeldRE = regexp.MustCompile(`(?m)^smsbridge_link_slots_held\{channel="default"\} (\d+)`)

// slotsHeld reads the replica's smsbridge_link_slots_held of the channel
// (-1 when it cannot be read).
func slotsHeld(t *testing.T, p *process) int {
	t.Helper()
	resp, err := http.Get(p.url() + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := slotsHeldRE.FindSubmatch(b)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// channelReady reports whether GET /readyz shows a logged-in link of the
// channel on the replica.
func channelReady(t *testing.T, p *process) bool {
	t.Helper()
	resp, err := http.Get(p.url() + "/readyz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct{ Channels map[string]bool }
	if json.NewDecoder(resp.Body).Decode(&r) != nil {
		return false
	}
	return r.Channels["default"]
}
