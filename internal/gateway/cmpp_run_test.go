package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// With cmpp_server.addr set the gateway runs the CMPP server: a customer
// link logs in, a SUBMIT goes upstream and its report comes back as a
// DELIVER with the SUBMIT_RESP Msg_Id; an MO for the tenant's extension
// reaches the link as an MO DELIVER with the account's Dest_Id; and the
// shutdown ends the customer's link before Run returns.
func TestGatewayRunsCMPPServer(t *testing.T) {
	env := testenv.Redis(t)
	sim, err := ismgsim.NewServer(ismgsim.Config{
		Accounts:    []ismgsim.Account{{SPID: testSP, Secret: testSecret}},
		ReportDelay: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sum := sha256.Sum256([]byte(testKey))
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
http: {addr: "127.0.0.1:0"}
redis: {addr: %q, prefix: %q}
shutdown_timeout: 5s
cmpp_server: {addr: "127.0.0.1:0"}
channels:
  - {name: default, addr: %q, sp_id: %q, secret: %q, src_id: "1065800001", service_id: TEST, links: 1}
tenants:
  - name: acme
    key_sha256: %s
    webhook_secret: "0123456789abcdef"
    channels: [default]
    default: true
    mo_ext: "7"
    cmpp: {account: "910001", secret: "demo-cmpp", service_code: "106900"}
`, env.Addr, env.Prefix, sim.Addr(), testSP, testSecret, hex.EncodeToString(sum[:]))), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if gw.CMPPAddr() == "" {
		t.Fatal("CMPP server not built")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	testenv.WaitFor(t, 10*time.Second, "channel ready", func() bool { return gw.senders.ChannelsReady()["default"] })

	var mu sync.Mutex
	var reports []*cmpp.Report
	var mos []*cmpp.Deliver
	link, err := cmpp.Dial(ctx, cmpp.LinkConfig{
		Addr: gw.CMPPAddr(), SPID: "910001", Secret: "demo-cmpp", Version: cmpp.V30,
		DeliverHandler: func(_ context.Context, d *cmpp.Deliver) error {
			mu.Lock()
			defer mu.Unlock()
			if d.RegisteredDelivery == 1 {
				r, err := d.Report()
				if err != nil {
					return err
				}
				reports = append(reports, r)
			} else {
				c := *d
				c.MsgContent = append([]byte(nil), d.MsgContent...)
				mos = append(mos, &c)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = link.Close(context.Background()) })
	resp, err := link.Submit(ctx, &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgFmt: 15, SrcID: "10690012",
		DestTerminalIDs: []string{"13800138000"}, MsgContent: []byte("hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return len(reports), len(mos)
	}
	testenv.WaitFor(t, 15*time.Second, "report DELIVER", func() bool { n, _ := count(); return n == 1 })
	if err := sim.InjectMO(ctx, ismgsim.MO{SPID: testSP, From: "13900000009", To: "1065800001" + "7" + "55", Text: "TD"}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 15*time.Second, "MO DELIVER", func() bool { _, n := count(); return n == 1 })
	mu.Lock()
	r, mo := reports[0], mos[0]
	mu.Unlock()
	if r.MsgID != resp.MsgID || r.Stat != "DELIVRD" || r.DestTerminalID != "13800138000" {
		t.Errorf("report %+v for SUBMIT_RESP Msg_Id %s", r, resp.MsgID)
	}
	if g := sim.Received()[0]; g.Dest != "13800138000" || string(g.Content) != "hello" {
		t.Errorf("upstream SUBMIT %+v", g)
	}
	if mo.DestID != "10690055" || mo.SrcTerminalID != "13900000009" || string(mo.MsgContent) != "TD" {
		t.Errorf("MO DELIVER %+v", mo)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	select {
	case <-link.Done():
	default:
		t.Fatal("Run returned while the customer's link was still up")
	}
}
