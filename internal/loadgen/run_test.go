package loadgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/gateway"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	testKey    = "bench-test-key-0123456789"
	testSecret = "bench-test-webhook-secret"
)

// startGateway runs a real gateway in-process (real Redis from testenv, a
// real simulator on loopback TCP) until the test ends and returns its
// base URL. The bench tenant's webhook_batch_max is batchMax.
func startGateway(t *testing.T, batchMax int) string {
	t.Helper()
	env := testenv.Redis(t)
	sim, err := ismgsim.NewServer(ismgsim.Config{
		Accounts:    []ismgsim.Account{{SPID: "900001", Secret: "888888"}},
		ReportDelay: 10 * time.Millisecond,
		MaxReceived: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sum := sha256.Sum256([]byte(testKey))
	yaml := fmt.Sprintf(`
http: {addr: "127.0.0.1:0"}
redis: {addr: %q, prefix: %q}
log: {level: warn}
shutdown_timeout: 10s
channels:
  - {name: default, addr: %q, sp_id: "900001", secret: "888888", src_id: "1065800001", links: 2, window: 16}
tenants:
  - {name: bench, key_sha256: %s, webhook_secret: %q, channels: [default], default: true, webhook_batch_max: %d}
webhook: {allow_private_networks: true}
`, env.Addr, env.Prefix, sim.Addr(), hex.EncodeToString(sum[:]), testSecret, batchMax)
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), gateway.Options{Version: "bench-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	url := "http://" + gw.Addr()
	if err := WaitReady(context.Background(), url, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return url
}

func TestRunAgainstGateway(t *testing.T) {
	url := startGateway(t, 0)
	var progress bytes.Buffer
	rep, err := Run(context.Background(), Config{
		URL: url, Key: testKey, WebhookSecret: testSecret,
		Rate: 25, Duration: 2 * time.Second, Recipients: 3, Segments: 2, Concurrency: 8,
		Drain: 30 * time.Second, Progress: &syncWriter{w: &progress},
	})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())

	if rep.Requests.Scheduled != 50 || rep.Requests.Sent != 50 || rep.Requests.Accepted != 50 {
		t.Errorf("requests: %+v, want 50 scheduled, sent and accepted", rep.Requests)
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %v %v", rep.Errors, rep.ErrorSamples)
	}
	if rep.Requests.AcceptedRecipients != 150 || rep.Requests.AcceptedSegments != 300 || rep.Settings.SegmentsPerRecipient != 2 {
		t.Errorf("accepted %d recipients, %d segments (%d per recipient), want 150, 300, 2",
			rep.Requests.AcceptedRecipients, rep.Requests.AcceptedSegments, rep.Settings.SegmentsPerRecipient)
	}
	if rep.Webhooks.Unique != rep.Requests.AcceptedRecipients || rep.Webhooks.Matched != rep.Requests.AcceptedRecipients {
		t.Errorf("webhooks unique %d matched %d, want %d", rep.Webhooks.Unique, rep.Webhooks.Matched, rep.Requests.AcceptedRecipients)
	}
	if rep.Lost != 0 || rep.Webhooks.Unmatched != 0 || rep.Webhooks.BadSignature != 0 || rep.Webhooks.Malformed != 0 {
		t.Errorf("lost %d, webhooks %+v", rep.Lost, rep.Webhooks)
	}
	if rep.Webhooks.Posts != 150 || rep.Webhooks.BatchPosts != 0 || rep.Settings.WebhookBatchMax != 0 {
		t.Errorf("webhook POSTs %d (batches %d, settings %d), want 150 single events", rep.Webhooks.Posts, rep.Webhooks.BatchPosts, rep.Settings.WebhookBatchMax)
	}
	if rep.Webhooks.ByStatus["delivered"] != 150 {
		t.Errorf("statuses %v, want 150 delivered", rep.Webhooks.ByStatus)
	}
	if rep.Latency.Accept.Count != 50 || rep.Latency.AcceptToWebhook.Count != 150 {
		t.Errorf("latency samples: accept %d, accept→webhook %d", rep.Latency.Accept.Count, rep.Latency.AcceptToWebhook.Count)
	}
	sv := rep.Service
	if sv == nil {
		t.Fatal("no service figures")
	}
	if sv.SubmitsOK != 300 || sv.Reports != 300 || sv.WebhooksDelivered != 150 {
		t.Errorf("service: submits %v reports %v webhooks %v, want 300, 300, 150", sv.SubmitsOK, sv.Reports, sv.WebhooksDelivered)
	}
	if sv.CPUSeconds <= 0 || sv.RSSBytes <= 0 || sv.CPUMicrosPerSegment <= 0 || sv.PeakRSSBytes < sv.RSSBytes {
		t.Errorf("service cost: %+v", sv)
	}
	// The schedule spans the 2 s duration; allow for timer granularity.
	if rep.WindowSeconds < 1.9 || rep.SendSeconds < 1.9 || rep.WindowSeconds < rep.SendSeconds {
		t.Errorf("window %.2fs send %.2fs", rep.WindowSeconds, rep.SendSeconds)
	}
	if !strings.Contains(progress.String(), "accepted") {
		t.Errorf("no progress lines: %q", progress.String())
	}
	// The JSON form round-trips.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Lost != 0 || back.Webhooks.Unique != 150 {
		t.Errorf("JSON round trip: %v %+v", err, back.Webhooks)
	}
}

// Against a service whose tenant batches its webhooks, every recipient's
// status arrives (in arrays, signatures verified) and the report says how
// the webhooks came.
func TestRunAgainstBatchingGateway(t *testing.T) {
	url := startGateway(t, 50)
	rep, err := Run(context.Background(), Config{
		URL: url, Key: testKey, WebhookSecret: testSecret, WebhookBatchMax: 50,
		Rate: 20, Duration: time.Second, Recipients: 10, Concurrency: 4, Drain: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())
	if rep.Requests.Accepted != 20 || rep.Webhooks.Unique != 200 || rep.Webhooks.Matched != 200 || rep.Lost != 0 {
		t.Errorf("accepted %d, webhooks %+v, lost %d", rep.Requests.Accepted, rep.Webhooks, rep.Lost)
	}
	if rep.Webhooks.BadSignature != 0 || rep.Webhooks.Malformed != 0 || rep.Webhooks.Unmatched != 0 {
		t.Errorf("webhooks %+v", rep.Webhooks)
	}
	if rep.Webhooks.Posts == 0 || rep.Webhooks.BatchPosts != rep.Webhooks.Posts || rep.Webhooks.Posts > rep.Webhooks.Unique {
		t.Errorf("webhook POSTs %d, batches %d, for %d events: want every POST a batch", rep.Webhooks.Posts, rep.Webhooks.BatchPosts, rep.Webhooks.Unique)
	}
	if rep.Settings.WebhookBatchMax != 50 || !strings.Contains(table.String(), "up to 50 events per POST") {
		t.Errorf("settings %+v do not show the batch size", rep.Settings)
	}
}

func TestRunCountsRefusedRequests(t *testing.T) {
	url := startGateway(t, 0)
	rep, err := Run(context.Background(), Config{
		URL: url, Key: "wrong-key", Rate: 20, Duration: 500 * time.Millisecond, Drain: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests.Accepted != 0 || rep.Errors["401"] != rep.Requests.Scheduled || rep.Requests.Scheduled != 10 {
		t.Errorf("requests %+v errors %v", rep.Requests, rep.Errors)
	}
	if rep.Lost != 0 || rep.Webhooks.Unique != 0 {
		t.Errorf("lost %d webhooks %d", rep.Lost, rep.Webhooks.Unique)
	}
}
