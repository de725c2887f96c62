package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// postResult is the answer to one POST /sms of the paused-Redis test.
type postResult struct {
	dest   string // the request's only recipient: how the simulator tells it
	key    string // Idempotency-Key, or ""
	status int
	code   string // error code of a non-202
	id     string // request id (202, or 503 outcome_unknown)
	err    error  // transport error
}

// postOne sends POST /sms for dest (with Idempotency-Key key when set);
// safe to call from any goroutine (no t.Fatal).
func postOne(client *http.Client, base, dest, key, content string) postResult {
	res := postResult{dest: dest, key: key}
	b, _ := json.Marshal(map[string]any{"to": []string{dest}, "content": content})
	req, err := http.NewRequest(http.MethodPost, base+"/sms", bytes.NewReader(b))
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	res.status = resp.StatusCode
	var v struct{ ID, Code string }
	if err := json.Unmarshal(body, &v); err != nil {
		res.err = fmt.Errorf("status %d body %s: %w", resp.StatusCode, body, err)
	}
	res.id, res.code = v.ID, v.Code
	return res
}

// Issue #9 item 6, reproduced: Redis is paused (SIGSTOP of a private
// redis-server) for longer than the API waits, while POSTs arrive, and
// resumed while others are in flight. Commands sent before the pause sit in
// Redis's socket buffers and run when it resumes; before the fix, the
// create pipeline of a POST already answered 503 then queued the request
// and it was sent. Now no 503 answer's request ever reaches the simulator;
// an outcome_unknown answer's id tells the truth on GET; and a retry with
// the same Idempotency-Key sends exactly once.
func TestPausedRedisNo503IsSent(t *testing.T) {
	if testing.Short() {
		t.Skip("paused-Redis test skipped in -short mode")
	}
	env, proc := testenv.OwnRedis(t)
	sim := newSim(t, 0, nil)
	rcv := newReceiver(t)
	base := startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(),
		Callback: rcv.URL(), RedisTimeout: "300ms"})
	c := api{t: t, base: base}
	client := c.client()
	content := "paused redis " + strings.Repeat("x", 200) // two segments
	const segments = 2

	var (
		mu      sync.Mutex
		results []postResult
		wg      sync.WaitGroup
		n       int
	)
	fire := func(count int) {
		for range count {
			n++
			dest := fmt.Sprintf("137%08d", n)
			key := ""
			if n%2 == 0 {
				key = "paused-" + dest
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := postOne(client, base, dest, key, content)
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}()
		}
	}
	answered := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(results)
	}

	// Warm the pool: connections opened now are where the POSTs made
	// during the pause get buffered.
	fire(32)
	wg.Wait()
	proc.Pause(t)
	paused := time.Now()
	fire(64) // all answered while Redis is paused
	testenv.WaitFor(t, 20*time.Second, "the POSTs made during the pause are answered", func() bool { return answered() == 96 })
	fire(32) // in flight when Redis resumes
	proc.Resume(t)
	pause := time.Since(paused)
	wg.Wait()

	by := map[string]int{}
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("POST for %s: %v", r.dest, r.err)
		}
		switch {
		case r.status == http.StatusAccepted:
			by["202"]++
		case r.status == http.StatusServiceUnavailable && (r.code == "unavailable" || r.code == "outcome_unknown"):
			by["503 "+r.code]++
		default:
			t.Fatalf("POST for %s: %d %s, want 202 or 503", r.dest, r.status, r.code)
		}
	}
	if by["503 unavailable"] == 0 || by["503 outcome_unknown"] == 0 {
		t.Fatalf("answers %v: the pause did not produce both kinds of 503", by)
	}

	// Let everything queued be sent: every 202 reaches the simulator, and
	// every outcome_unknown id is settled (GET tells whether it exists).
	for _, r := range results {
		if r.status == http.StatusAccepted {
			c.waitStatus(r.id, 30*time.Second, "submitted", "delivered")
		}
	}
	unknownQueued := 0
	for _, r := range results {
		if r.code != "outcome_unknown" {
			continue
		}
		code, body := c.do("GET", "/sms/"+r.id, nil, nil)
		switch code {
		case http.StatusOK:
			unknownQueued++
			c.waitStatus(r.id, 30*time.Second, "submitted", "delivered")
		case http.StatusNotFound:
		default:
			t.Fatalf("GET /sms/%s after outcome_unknown: %d %s", r.id, code, body)
		}
	}
	testenv.WaitFor(t, 30*time.Second, "nothing left to send", func() bool {
		q := queueDepth(t, env, "default")
		return q.Pending == 0 && q.Leased == 0 && q.Scheduled == 0
	})

	sent := map[string]int{}
	for _, g := range sim.Received() {
		if g.Result == 0 {
			sent[g.Dest]++
		}
	}
	sent503 := 0
	for _, r := range results {
		switch {
		case r.status == http.StatusAccepted && sent[r.dest] == 0:
			t.Errorf("202 for %s never reached the simulator", r.dest)
		case r.code == "unavailable" && sent[r.dest] > 0:
			sent503++
		case r.code == "outcome_unknown":
			code, _ := c.do("GET", "/sms/"+r.id, nil, nil)
			if (code == http.StatusOK) != (sent[r.dest] > 0) {
				t.Errorf("outcome_unknown %s: GET %d but %d segments at the simulator", r.id, code, sent[r.dest])
			}
			if code == http.StatusNotFound && sent[r.dest] > 0 {
				sent503++
			}
		}
	}
	t.Logf("Redis paused %v; answers %v; outcome_unknown ids found queued afterwards: %d; 503 answers whose request reached the simulator: %d",
		pause.Round(time.Millisecond), by, unknownQueued, sent503)
	if sent503 != 0 {
		t.Fatalf("%d requests answered 503 (not queued) were sent", sent503)
	}

	// Retry every 503 that had an Idempotency-Key, as a client is told to:
	// each is sent exactly once.
	retried := 0
	for _, r := range results {
		if r.key == "" || r.status == http.StatusAccepted {
			continue
		}
		var again postResult
		testenv.WaitFor(t, 10*time.Second, "retry of "+r.key+" accepted", func() bool {
			again = postOne(client, base, r.dest, r.key, content)
			return again.status == http.StatusAccepted
		})
		c.waitStatus(again.id, 30*time.Second, "submitted", "delivered")
		retried++
	}
	for _, r := range results {
		if r.key == "" || r.status == http.StatusAccepted {
			continue
		}
		// Once more: the replay must not send again.
		if again := postOne(client, base, r.dest, r.key, content); again.status != http.StatusAccepted {
			t.Fatalf("replay of %s: %d %s", r.key, again.status, again.code)
		}
	}
	testenv.WaitFor(t, 30*time.Second, "nothing left to send after the retries", func() bool {
		q := queueDepth(t, env, "default")
		return q.Pending == 0 && q.Leased == 0 && q.Scheduled == 0
	})
	sent = map[string]int{}
	for _, g := range sim.Received() {
		if g.Result == 0 {
			sent[g.Dest]++
		}
	}
	for _, r := range results {
		if r.key != "" && r.status != http.StatusAccepted && sent[r.dest] != segments {
			t.Errorf("retried %s: %d segments at the simulator, want %d (sent once)", r.key, sent[r.dest], segments)
		}
	}
	if retried == 0 {
		t.Fatal("no 503 with an Idempotency-Key to retry")
	}
	t.Logf("retried %d idempotent 503s after the pause: each sent once", retried)
}

// queueDepth reads the queue of channel from Redis.
func queueDepth(t *testing.T, env *testenv.RedisEnv, channel string) store.QueueStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q, err := store.New(env.Client, store.Options{Prefix: env.Prefix}).QueueDepth(ctx, channel)
	if err != nil {
		t.Fatalf("queue depth of %s: %v", channel, err)
	}
	return q
}
