package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// The gateway builds the carrier Resolver from the carriers section and
// hands it out (Carriers): config range overrides apply, and with
// portability on, moved numbers imported through the gateway's own admin
// API are answered.
func TestGatewayCarriers(t *testing.T) {
	env := testenv.Redis(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
http: {addr: "127.0.0.1:0", admin_key: "gateway-admin-key-0123"}
redis: {addr: %q, prefix: %q}
carriers: {portability: true, ranges: {"1700": cmcc}}
`, env.Addr, env.Prefix)), nil)
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

	req, err := http.NewRequest(http.MethodPost, "http://"+gw.Addr()+"/admin/portability", strings.NewReader("13800138000,ctcc\n"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer gateway-admin-key-0123")
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	got, err := gw.Carriers().Carriers(rctx, []string{"13800138000", "13800138001", "17001234567", "19200000000"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[ctcc cmcc cmcc cbn]"; fmt.Sprint(got) != want {
		t.Fatalf("carriers %v, want %s", got, want)
	}
}
