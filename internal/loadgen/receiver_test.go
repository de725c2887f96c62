package loadgen

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsbridge/smsbridge/webhook"
)

func TestReceiverVerifiesAndCounts(t *testing.T) {
	const secret = "s3cret"
	tr := newTracker(time.Now())
	r, err := startReceiver("127.0.0.1:0", secret, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	if !strings.HasPrefix(r.callbackURL(), "http://127.0.0.1:") || !strings.HasSuffix(r.callbackURL(), "/hook") {
		t.Fatalf("callback URL %q", r.callbackURL())
	}
	req := uuid.New()
	tr.accepted(req, []uint64{13800000001}, tr.now())
	post := func(body, sigSecret string) int {
		t.Helper()
		hr, err := http.NewRequest(http.MethodPost, r.callbackURL(), bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set(webhook.SignatureHeader, webhook.Sign([]string{sigSecret}, time.Now(), []byte(body)))
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	status := `{"id":"e1","type":"sms.status","data":{"request_id":"` + req.String() + `","to":"13800000001","status":"delivered"}}`
	if code := post(status, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d", code)
	}
	if code := post(status, secret); code != http.StatusNoContent {
		t.Errorf("valid: %d", code)
	}
	if code := post(status, secret); code != http.StatusNoContent {
		t.Errorf("duplicate: %d (must still be acknowledged)", code)
	}
	if code := post(`{"id":"m1","type":"sms.mo","data":{}}`, secret); code != http.StatusNoContent {
		t.Errorf("sms.mo: %d", code)
	}
	if code := post(`{not json`, secret); code != http.StatusBadRequest {
		t.Errorf("malformed: %d", code)
	}
	resp, err := http.Get(r.callbackURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	tot := tr.totals()
	if tot.unique != 1 || tot.duplicates != 1 || tot.matched != 1 || tot.outstanding != 0 {
		t.Errorf("tracker %+v", tot)
	}
	if r.badSignature.Load() != 1 || r.malformed.Load() != 1 || r.otherTypes.Load() != 1 {
		t.Errorf("bad sig %d malformed %d other %d", r.badSignature.Load(), r.malformed.Load(), r.otherTypes.Load())
	}
	if r.posts.Load() != 3 || r.batchPosts.Load() != 0 {
		t.Errorf("posts %d (batches %d), want 3 (0)", r.posts.Load(), r.batchPosts.Load())
	}
}

// A batch POST (a JSON array of events, signed over the raw body) is
// taken element by element: sms.status events go to the tracker,
// duplicates across batches are counted, and an array that is empty or
// holds an event without id is refused whole.
func TestReceiverTakesBatches(t *testing.T) {
	const secret = "s3cret"
	tr := newTracker(time.Now())
	r, err := startReceiver("127.0.0.1:0", secret, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	req := uuid.New()
	tr.accepted(req, []uint64{13800000001, 13800000002, 13800000003}, tr.now())
	post := func(body, sigSecret string) int {
		t.Helper()
		hr, err := http.NewRequest(http.MethodPost, r.callbackURL(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set(webhook.SignatureHeader, webhook.Sign([]string{sigSecret}, time.Now(), []byte(body)))
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	status := func(id, to string) string {
		return `{"id":"` + id + `","type":"sms.status","data":{"request_id":"` + req.String() + `","to":"` + to + `","status":"delivered"}}`
	}
	batch := "[" + status("e1", "13800000001") + "," + status("e2", "13800000002") + "]"
	if code := post(batch, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("batch with a bad signature: %d", code)
	}
	if code := post(batch, secret); code != http.StatusNoContent {
		t.Errorf("valid batch: %d", code)
	}
	// A batch of one, repeating e2 (a retry), with whitespace around.
	if code := post(" [\n"+status("e2", "13800000002")+"\n] ", secret); code != http.StatusNoContent {
		t.Errorf("batch of one: %d", code)
	}
	if code := post("["+status("e3", "13800000003")+`,{"id":"m1","type":"sms.mo","data":{}}]`, secret); code != http.StatusNoContent {
		t.Errorf("batch with an sms.mo event: %d", code)
	}
	for _, bad := range []string{`[]`, `[` + status("e4", "13800000001") + `,{"type":"sms.status"}]`, `[1,2]`, `[{"id":"e5"}`} {
		if code := post(bad, secret); code != http.StatusBadRequest {
			t.Errorf("malformed batch %s: %d", bad, code)
		}
	}
	tot := tr.totals()
	if tot.unique != 3 || tot.duplicates != 1 || tot.matched != 3 || tot.outstanding != 0 {
		t.Errorf("tracker %+v", tot)
	}
	if r.badSignature.Load() != 1 || r.malformed.Load() != 4 || r.otherTypes.Load() != 1 {
		t.Errorf("bad sig %d malformed %d other %d", r.badSignature.Load(), r.malformed.Load(), r.otherTypes.Load())
	}
	if r.posts.Load() != 3 || r.batchPosts.Load() != 3 {
		t.Errorf("posts %d (batches %d), want 3 (3)", r.posts.Load(), r.batchPosts.Load())
	}
}
