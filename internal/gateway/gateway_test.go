package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	testKey    = "gateway-test-key"
	testSP     = "900001"
	testSecret = "888888"
)

// A SUBMIT that is not answered within shutdown_timeout does not make Run
// return while the senders still run: Run ends their drain and waits for
// them (and then for the webhook dispatcher) before it closes Redis, so
// nothing outlives it.
func TestRunReturnsOnlyWhenSendersStopped(t *testing.T) {
	env := testenv.Redis(t)
	sim, err := ismgsim.NewServer(ismgsim.Config{Accounts: []ismgsim.Account{{SPID: testSP, Secret: testSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sim.SetFaults(ismgsim.Faults{ResponseDelay: time.Hour})
	sum := sha256.Sum256([]byte(testKey))
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
http: {addr: "127.0.0.1:0"}
redis: {addr: %q, prefix: %q}
shutdown_timeout: 300ms
channels:
  - {name: default, addr: %q, sp_id: %q, secret: %q, src_id: "1065800001", service_id: TEST,
     links: 1, window: 1, response_timeout: 1h}
tenants:
  - {name: acme, key_sha256: %s, callback_url: "http://127.0.0.1:1/hook", webhook_secret: "0123456789abcdef", channels: [default], default: true}
webhook: {allow_private_networks: true}
`, env.Addr, env.Prefix, sim.Addr(), testSP, testSecret, hex.EncodeToString(sum[:]))), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	testenv.WaitFor(t, 10*time.Second, "channel ready", func() bool { return gw.senders.ChannelsReady()["default"] })
	req, err := http.NewRequest(http.MethodPost, "http://"+gw.Addr()+"/sms",
		bytes.NewReader([]byte(`{"to":["13800138000"],"content":"hi"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /sms: %d", resp.StatusCode)
	}
	testenv.WaitFor(t, 10*time.Second, "SUBMIT in flight", func() bool { return len(sim.Received()) == 1 })

	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	if gw.senders.ChannelsReady()["default"] {
		t.Fatal("Run returned while the channel still had a link: the senders outlived it")
	}
}
