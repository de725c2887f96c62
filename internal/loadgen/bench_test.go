package loadgen

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

// startFakeService serves POST /sms on loopback with the service's 202
// body (a fresh UUIDv7 per request) and returns its base URL.
func startFakeService(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf [4096]byte
		for {
			if _, err := r.Body.Read(buf[:]); err != nil {
				break
			}
		}
		id, _ := uuid.NewV7()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"` + id.String() + `","status":"queued","channel":"bench","recipients":1,"segments_per_recipient":1,"total_segments":1,"client_ref":"bench-1"}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// BenchmarkPosterPost is one POST /sms of the otp workload (1 recipient)
// against a loopback server answering the service's 202: what the tool
// spends per request on the client side (the fake server's cost is in
// the figures too, the same before and after).
func BenchmarkPosterPost(b *testing.B) {
	cfg, err := Config{URL: startFakeService(b), Concurrency: 1, MetricsURL: MetricsOff}.withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	tr := newTracker(time.Now())
	p := newPoster(cfg, "http://127.0.0.1:1/hook", tr)
	defer p.close()
	var w worker
	defer w.close()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.post(ctx, &w, int64(i), time.Now())
	}
	if p.failed.Load() != 0 {
		b.Fatalf("%d failed: %v", p.failed.Load(), p.errorSamples)
	}
}

// BenchmarkReceiverStatusEvent is one webhook POST of the otp workload
// (one sms.status event, as the service sends it) to the receiver over
// loopback, matched against an accepted recipient.
func BenchmarkReceiverStatusEvent(b *testing.B) {
	tr := newTracker(time.Now())
	r, err := startReceiver("127.0.0.1:0", "", tr)
	if err != nil {
		b.Fatal(err)
	}
	defer r.close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	url := r.callbackURL()
	var body []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := uuid.New()
		to := recipientNumber(int64(i), 0, 1)
		tr.accepted(req, []uint64{to}, tr.now())
		body = appendStatusEvent(body[:0], i, req, to)
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	if tot := tr.totals(); tot.outstanding != 0 || tot.badIDs != 0 {
		b.Fatalf("totals %+v", tot)
	}
}

// appendStatusEvent appends an sms.status event shaped like the service's.
func appendStatusEvent(b []byte, i int, req uuid.UUID, to uint64) []byte {
	b = append(b, `{"id":"01JEXAMPLE`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","type":"sms.status","created_at":"2026-12-06T16:00:00.123Z","data":{"request_id":"`...)
	b = append(b, req.String()...)
	b = append(b, `","client_ref":"bench-1","channel":"bench","tenant":"bench","to":"`...)
	b = strconv.AppendUint(b, to, 10)
	b = append(b, `","status":"delivered","error_code":"","segments":[{"number":1,"msg_id":"0123456789012345678901","submit_result":0,"stat":"DELIVRD","submitted_at":"2026-12-06T16:00:00.100Z","reported_at":"2026-12-06T16:00:00.120Z","error_code":""}]}}`...)
	return b
}

// BenchmarkParseStatusEvent is the receiver's parse of one event body.
func BenchmarkParseStatusEvent(b *testing.B) {
	body := appendStatusEvent(nil, 1, uuid.New(), 13800000001)
	var evs []eventFields
	b.ReportAllocs()
	for b.Loop() {
		var ok bool
		if evs, _, ok = parseEvents(body, evs[:0]); !ok {
			b.Fatal("not parsed")
		}
	}
}
