package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A tenant routed cmcc → {a: 3, b: 1} over two operator accounts (one
// simulator each): 20,000 one-segment requests split 3:1 at the
// simulators (within 5%), every number received once, on one channel.
func TestWeightedRouteSplit(t *testing.T) {
	const total = 20000
	env := testenv.Redis(t)
	// Reports are not what this test counts: the simulators hold them, so
	// the machine's time goes to accepting and sending.
	noReports := func(c *ismgsim.Config) { c.ReportDelay = time.Hour }
	simA, simB := newSim(t, 0, noReports), newSim(t, 0, noReports)
	sum := sha256.Sum256([]byte(apiKey))
	yaml := fmt.Sprintf(`
http: {addr: "127.0.0.1:0"}
redis: {addr: %q, prefix: %q}
log: {level: warn}
shutdown_timeout: 10s
channels:
  - {name: a, addr: %q, sp_id: %q, secret: %q, src_id: %q, links: 4, window: 16, response_timeout: 5s, carriers: [cmcc]}
  - {name: b, addr: %q, sp_id: %q, secret: %q, src_id: %q, links: 4, window: 16, response_timeout: 5s, carriers: [cmcc]}
tenants:
  - name: acme
    key_sha256: %s
    webhook_secret: %q
    channels: [a, b]
    routes:
      cmcc: [{a: 3, b: 1}]
`, env.Addr, env.Prefix, simA.Addr(), spID, spSecret, srcID, simB.Addr(), spID, spSecret, srcID, hex.EncodeToString(sum[:]), webhookSecret)
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	base := startGatewayConfig(t, cfg) // 138… numbers are China Mobile's by the shipped range table

	// One segment per request, from 16 clients at once.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				body := fmt.Sprintf(`{"to":["138%08d"],"content":"route %d"}`, i, i)
				req, _ := http.NewRequest(http.MethodPost, base+"/sms", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+apiKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					errs <- fmt.Errorf("request %d: status %d", i, resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sent := time.Since(start)
	received := func() (a, b int) {
		return int(simA.Counts()[spID].Accepted), int(simB.Counts()[spID].Accepted)
	}
	testenv.WaitFor(t, 3*time.Minute, "every segment received by a simulator", func() bool {
		a, b := received()
		return a+b >= total
	})
	// Every number once, on one simulator only.
	seen := map[string]string{}
	for _, s := range []struct {
		name string
		segs []string
	}{{"a", dests(simA.ReceivedFor(spID, 0))}, {"b", dests(simB.ReceivedFor(spID, 0))}} {
		for _, d := range s.segs {
			if prev, dup := seen[d]; dup {
				t.Fatalf("number %s received twice (on %s and %s)", d, prev, s.name)
			}
			seen[d] = s.name
		}
	}
	a, b := received()
	if len(seen) != total || a+b != total {
		t.Fatalf("%d distinct numbers received, %d SUBMITs accepted (a %d, b %d); want %d", len(seen), a+b, a, b, total)
	}
	ratio := float64(a) / float64(b)
	if math.Abs(ratio-3)/3 > 0.05 {
		t.Fatalf("split a:b = %d:%d (%.3f), want 3:1 within 5%%", a, b, ratio)
	}
	t.Logf("split a:b = %d:%d; accepted in %v, received in %v", a, b, sent.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// dests lists the Dest_terminal_Id of each received segment.
func dests(segs []ismgsim.ReceivedSegment) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = s.Dest
	}
	return out
}
