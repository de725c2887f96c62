package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// runSimulator starts `smsbridge simulator` in-process with extra flags
// and returns its CMPP address and log; the simulator stops at the end of
// the test.
func runSimulator(t *testing.T, flags ...string) (addr string, log *testenv.LogBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sim.yaml")
	yaml := "addr: \"127.0.0.1:0\"\nadmin_addr: \"\"\naccounts:\n  - {sp_id: \"900001\", secret: \"s3cret\"}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log = &testenv.LogBuffer{}
	done := make(chan error, 1)
	go func() { done <- simulatorCommand(ctx, append([]string{"-config", path}, flags...), io.Discard, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	testenv.WaitFor(t, 10*time.Second, "simulator listening", func() bool {
		for _, line := range strings.Split(log.String(), "\n") {
			var ev struct{ Message, Addr string }
			if json.Unmarshal([]byte(line), &ev) == nil && ev.Message == "ISMG simulator listening" {
				addr = ev.Addr
				return true
			}
		}
		return false
	})
	return addr, log
}

// submitOnce logs in to addr and sends one SUBMIT.
func submitOnce(t *testing.T, addr string) {
	t.Helper()
	l, err := cmpp.Dial(context.Background(), cmpp.LinkConfig{Addr: addr, SPID: "900001", Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	_, err = l.Submit(context.Background(), &cmpp.Submit{PkTotal: 1, PkNumber: 1, MsgFmt: 8, SrcID: "1065800001",
		DestTerminalIDs: []string{"13800138000"}, MsgContent: []byte{0, 'h', 0, 'i'}})
	if err != nil {
		t.Fatal(err)
	}
}

// The simulator logs at info by default: no line per SUBMIT (zerolog
// without a level logged every PDU, which cost the simulator more than
// answering it); -log-level debug brings them back.
func TestSimulatorLogLevel(t *testing.T) {
	for _, tc := range []struct {
		flags      []string
		wantSubmit bool
	}{{nil, false}, {[]string{"-log-level", "debug"}, true}} {
		addr, log := runSimulator(t, tc.flags...)
		submitOnce(t, addr)
		if got := strings.Contains(log.String(), `"message":"SUBMIT"`); got != tc.wantSubmit {
			t.Errorf("flags %v: SUBMIT logged %v, want %v\n%s", tc.flags, got, tc.wantSubmit, log.String())
		}
	}
}

func TestSimulatorBadLogLevel(t *testing.T) {
	err := simulatorCommand(context.Background(), []string{"-log-level", "loud"}, io.Discard, &testenv.LogBuffer{})
	if err == nil || !strings.Contains(err.Error(), "-log-level") {
		t.Fatalf("err = %v, want a -log-level error", err)
	}
}
