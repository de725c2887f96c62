package cmppserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/registry"
)

// TestShutdownTerminatesLinks: Run's shutdown sends TERMINATE on every
// link, closes it after TERMINATE_RESP and frees the slots.
func TestShutdownTerminatesLinks(t *testing.T) {
	f := newFixture(t, nil)
	srv, err := New(testConfig(nil), Deps{Store: f.st, Registry: f.reg, Metrics: metrics.New(), ReplicaID: "r2",
		Logger: zerolog.New(f.logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	r, l := loggedIn(t, f, srv, srv.Addr().String())
	cancel()
	h, _, _ := r.read()
	if h.CommandID != cmpp.CmdTerminate {
		t.Fatalf("got %s, want TERMINATE", h.CommandID)
	}
	r.send(h.SequenceID, &cmpp.TerminateResp{})
	r.waitClosed(2 * time.Second)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	<-l.closed()
	// The slot is released: the other replica admits max_links (2) links.
	for range 2 {
		if _, err := dial(t, f.addr, acct30, secret30, cmpp.V30, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConfigDefaultsAndValidate checks the defaults and that errors name
// the key.
func TestConfigDefaultsAndValidate(t *testing.T) {
	var c Config
	c.FillDefaults()
	if c.GatewayID != 1 || c.Window != 16 || c.ReportResendAfter.D() != time.Minute || c.ReportResendMax != 3 ||
		c.ReportRetention.D() != 72*time.Hour || c.ActiveTestInterval.D() != 30*time.Second || c.ActiveTestMissed != 3 ||
		c.LoginTimeout.D() != 10*time.Second || c.LoginFailures != 5 || c.LoginFailureWindow.D() != time.Minute ||
		c.LinkLease.D() != 15*time.Second || c.SubmitBatchMax != 64 || c.SubmitBatchWait.D() != time.Millisecond ||
		c.ReportPoll.D() != time.Second || c.Enabled() {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate("cmpp_server"); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	bad := []struct {
		key string
		mut func(*Config)
	}{
		{"cmpp_server.window", func(c *Config) { c.Window = 1025 }},
		{"cmpp_server.gateway_id", func(c *Config) { c.GatewayID = MaxGatewayID + 1 }},
		{"cmpp_server.tls_cert_file", func(c *Config) { c.TLSCertFile = "x.pem" }},
		{"cmpp_server.tls_cert_file", func(c *Config) { c.TLSCertFile, c.TLSKeyFile = "/nonexistent.pem", "/nonexistent.key" }},
		{"cmpp_server.addr", func(c *Config) { c.Addr = "no-port" }},
		{"cmpp_server.link_lease", func(c *Config) { c.LinkLease = registry.Duration(time.Millisecond) }},
		{"cmpp_server.report_resend_max", func(c *Config) { c.ReportResendMax = -1 }},
	}
	for _, b := range bad {
		c := Config{}
		c.FillDefaults()
		b.mut(&c)
		err := c.Validate("cmpp_server")
		if err == nil || !strings.Contains(err.Error(), b.key+":") {
			t.Errorf("want an error naming %s, got %v", b.key, err)
		}
	}
}
