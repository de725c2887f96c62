package webhook

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// A receiver slower than Timeout is a failed attempt named "timeout".
func TestPostTimeout(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil).blocking()
	eid := f.seedMO("1069001", "m", rc.srv.URL)
	cfg := f.fastConfig(tenants(""))
	cfg.Timeout = 100 * time.Millisecond
	start(t, cfg)
	testenv.WaitFor(t, waitLong, "attempt failed", func() bool { return f.event(eid).LastError != "" })
	if le := f.event(eid).LastError; le != "timeout" {
		t.Fatalf("last error %q, want timeout", le)
	}
}

// A refused connection is a failed attempt; the error does not repeat the
// URL (which may carry credentials).
func TestPostConnectionRefused(t *testing.T) {
	f := newFixture(t, store.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/hook?token=s3cret"
	ln.Close()
	eid := f.seedMO("1069001", "m", url)
	start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "attempt failed", func() bool { return f.event(eid).LastError != "" })
	le := f.event(eid).LastError
	if !strings.HasPrefix(le, "connection error") || strings.Contains(le, "s3cret") {
		t.Fatalf("last error %q", le)
	}
}

func TestCleanSnippet(t *testing.T) {
	long := strings.Repeat("x", 500)
	for in, want := range map[string]string{
		"  oops\r\n\tbad ": "oops   bad",
		"\xff\xfeok":       "ok",
		long:               long[:maxErrorSnippet],
	} {
		if got := cleanSnippet([]byte(in)); got != want {
			t.Errorf("cleanSnippet(%q) = %q, want %q", in, got, want)
		}
	}
}
