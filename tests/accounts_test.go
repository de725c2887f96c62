package tests

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// admin is a client of the admin API of one replica.
type admin struct {
	t    *testing.T
	base string
}

// do sends an admin request and decodes a JSON answer into out (nil:
// ignored); it returns the status code.
func (a admin) do(method, path string, body, out any) int {
	a.t.Helper()
	c := api{t: a.t, base: a.base, key: adminKey}
	code, b := c.do(method, path, body, nil)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %d %s: %v", method, path, code, b, err)
		}
	}
	return code
}

// status answers the HTTP status of POST /sms with key on base.
func postStatus(t *testing.T, base, key string) int {
	t.Helper()
	code, _ := api{t: t, base: base, key: key}.do("POST", "/sms", map[string]any{"to": []string{"13800138000"}, "content": "hi"}, nil)
	return code
}

// TestAccountsAcrossReplicas: two replicas on one Redis. A tenant created
// through replica 1 authenticates on replica 2 within 1 s; a revoked key is
// refused on both within 1 s; the tenant's request rate limit holds for the
// pair; a channel added through the API has logged-in links on both.
func TestAccountsAcrossReplicas(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	rcv := newReceiver(t)
	cfg := gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Callback: rcv.URL(), AdminKey: adminKey}
	r1, r2 := startGateway(t, cfg), startGateway(t, cfg)
	a1, a2 := admin{t, r1}, admin{t, r2}

	// A tenant made on replica 1 …
	if code := a1.do("POST", "/admin/tenants", map[string]any{
		"name": "newco", "channels": []string{"default"}, "callback_url": rcv.URL(),
		"webhook_secret": webhookSecret, "limits": map[string]any{"max_requests_per_sec": 5},
	}, nil); code != http.StatusCreated {
		t.Fatalf("POST /admin/tenants: %d", code)
	}
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if code := a1.do("POST", "/admin/tenants/newco/keys", nil, &key); code != http.StatusCreated || key.Key == "" {
		t.Fatalf("POST keys: %d %+v", code, key)
	}
	made := time.Now()
	// … authenticates on replica 2 within 1 s.
	testenv.WaitFor(t, time.Second, "the new key works on replica 2", func() bool {
		return postStatus(t, r2, key.Key) == http.StatusAccepted
	})
	t.Logf("key usable on replica 2 after %v", time.Since(made))

	// The rate limit (5/s) holds for the pair: 40 requests spread over
	// both replicas within one second get at most 5 + 5 (burst and the
	// second's refill) accepted, and the refusals say when to retry.
	var ok, limited atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := r1
			if i%2 == 1 {
				base = r2
			}
			c := api{t: t, base: base, key: key.Key}
			code, _ := c.do("POST", "/sms", map[string]any{"to": []string{"13800138001"}, "content": "rate"}, nil)
			switch code {
			case http.StatusAccepted:
				ok.Add(1)
			case http.StatusTooManyRequests:
				limited.Add(1)
			default:
				t.Errorf("POST /sms under the limit: %d", code)
			}
		}()
	}
	wg.Wait()
	if ok.Load() > 10 || limited.Load() < 30 {
		t.Errorf("5/s limit across two replicas: %d accepted, %d limited", ok.Load(), limited.Load())
	}

	// A revoked key is refused on both within 1 s.
	if code := a2.do("DELETE", "/admin/tenants/newco/keys/"+key.ID, nil, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE key: %d", code)
	}
	testenv.WaitFor(t, time.Second, "the revoked key is refused on both replicas", func() bool {
		return postStatus(t, r1, key.Key) == http.StatusUnauthorized && postStatus(t, r2, key.Key) == http.StatusUnauthorized
	})

	// A channel added through the API has logged-in links on both.
	if code := a2.do("POST", "/admin/channels", map[string]any{
		"name": "extra", "addr": sim.Addr(), "sp_id": spID, "secret": spSecret, "src_id": srcID, "links": 1,
	}, nil); code != http.StatusCreated {
		t.Fatalf("POST /admin/channels: %d", code)
	}
	for _, a := range []admin{a1, a2} {
		testenv.WaitFor(t, 5*time.Second, "channel extra logged in on "+a.base, func() bool {
			var ch struct {
				LinksReady bool `json:"links_ready"`
			}
			return a.do("GET", "/admin/channels/extra", nil, &ch) == http.StatusOK && ch.LinksReady
		})
	}
}
