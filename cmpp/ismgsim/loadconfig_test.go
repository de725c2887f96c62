package ismgsim

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

func TestLoadConfigExample(t *testing.T) {
	cfg, err := LoadConfig("testdata/simulator.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7890" || cfg.AdminAddr != "127.0.0.1:7891" || cfg.GatewayID != 1001 ||
		cfg.ReportDelay != 100*time.Millisecond || cfg.ResponseTimeout != time.Minute || cfg.Transmissions != 3 ||
		cfg.ActiveTestInterval != time.Minute || cfg.MaxReceived != 100000 || len(cfg.StatMix) != 3 ||
		cfg.StatMix[1] != (StatWeight{Stat: "UNDELIV", Weight: 4}) {
		t.Fatalf("config %+v", cfg)
	}
	want := []Account{
		{SPID: "900001", Secret: "888888", MaxLinks: 4, MaxSubmitsPerSec: 1000, SrcIDPrefix: "1065800001"},
		{SPID: "900002", Secret: "secret", Version: cmpp.V20},
	}
	if len(cfg.Accounts) != 2 || cfg.Accounts[0] != want[0] || cfg.Accounts[1] != want[1] {
		t.Fatalf("accounts %+v", cfg.Accounts)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"unknown key":      "adress: x\n",
		"bad duration":     "report_delay: soon\n",
		"bad flush_delay":  "flush_delay: 1\n",
		"bad version":      "accounts:\n  - sp_id: \"1\"\n    version: \"4.0\"\n",
		"long sp_id":       "accounts:\n  - sp_id: \"1234567\"\n",
		"gateway too wide": "gateway_id: 4194304\n",
		"not yaml":         "{{{\n",
	} {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
	empty := filepath.Join(dir, "empty.yaml")
	_ = os.WriteFile(empty, nil, 0o600)
	if cfg, err := LoadConfig(empty); err != nil || cfg.Addr != "" {
		t.Fatalf("empty file: %+v %v", cfg, err)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]cmpp.Version{"": 0, "any": 0, "2.0": cmpp.V20, "0x20": cmpp.V20,
		"2.1": cmpp.V21, "3.0": cmpp.V30, "V30": cmpp.V30, " 3 ": cmpp.V30} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseVersion("1.0"); err == nil {
		t.Error("1.0 accepted")
	}
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestRunServesUntilCancelled(t *testing.T) {
	cmppAddr, adminAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Addr: cmppAddr, Accounts: []Account{{SPID: testSPID, Secret: testSecret}}}, adminAddr)
	}()
	var accounts []AccountDoc
	waitFor(t, "admin API up", func() bool {
		resp, err := http.Get("http://" + adminAddr + "/accounts")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&accounts) == nil
	})
	if len(accounts) != 1 || accounts[0].SPID != testSPID {
		t.Fatalf("accounts %+v", accounts)
	}
	c := dialRaw(t, cmppAddr, cmpp.V30)
	c.login()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("Run did not return after cancel")
	}
	c.expectClosed()
}

func TestRunFailsOnBusyAdminAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Run(context.Background(), Config{}, ln.Addr().String())
	if err == nil {
		t.Fatal("Run succeeded on a busy admin address")
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("error %v", err)
	}
}
