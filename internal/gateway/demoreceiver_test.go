package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/webhook"
)

// The demo receiver lists a one-event POST and every element of a batch
// POST (a JSON array), each with whether the POST's signature verified;
// a malformed body, or one listing no event ([] or null), gets 400 and is
// not listed.
func TestDemoReceiverListsSingleAndBatchEvents(t *testing.T) {
	const secret = "demo-secret"
	d, err := startDemoReceiver("127.0.0.1:0", func() []string { return []string{secret} }, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	base := "http://" + d.ln.Addr().String()
	post := func(body, sigSecret string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+"/webhook", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(webhook.SignatureHeader, webhook.Sign([]string{sigSecret}, time.Now(), []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ev := func(id string) string { return `{"id":"` + id + `","type":"sms.status","data":{"status":"delivered"}}` }
	if code := post(ev("e1"), secret); code != http.StatusNoContent {
		t.Fatalf("single event: %d", code)
	}
	if code := post("["+ev("e2")+","+ev("e3")+"]", secret); code != http.StatusNoContent {
		t.Fatalf("batch: %d", code)
	}
	if code := post("["+ev("e4")+"]", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("batch with a bad signature: %d", code)
	}
	for _, body := range []string{`[{"id":`, `[]`, ` [ ] `, `null`} {
		if code := post(body, secret); code != http.StatusBadRequest {
			t.Fatalf("malformed body %q: %d", body, code)
		}
	}
	resp, err := http.Get(base + "/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var listed []struct {
		SignatureValid bool `json:"signature_valid"`
		BatchSize      int  `json:"batch_size"`
		Event          struct {
			ID string `json:"id"`
		} `json:"event"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&listed); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id    string
		valid bool
		batch int
	}{{"e1", true, 0}, {"e2", true, 2}, {"e3", true, 2}, {"e4", false, 1}}
	if len(listed) != len(want) {
		t.Fatalf("GET /webhooks lists %d events, want %d: %+v", len(listed), len(want), listed)
	}
	for i, w := range want {
		if got := listed[i]; got.Event.ID != w.id || got.SignatureValid != w.valid || got.BatchSize != w.batch {
			t.Errorf("entry %d: %+v, want %+v", i, got, w)
		}
	}
}
