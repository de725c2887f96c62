package webhook

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

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

// rawReceiver listens on loopback and answers every connection with
// answer (not HTTP), then closes it; it stops with the test.
func rawReceiver(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			conns.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(waitLong))
				buf := make([]byte, 4096)
				_, _ = c.Read(buf) // the request's start
				_, _ = c.Write([]byte(answer))
			})
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done; conns.Wait() })
	return "http://" + ln.Addr().String() + "/hook"
}

// A receiver whose answer is not HTTP (an internal service's banner or
// data): Go's error quotes that answer, but the event's last error and
// every log line above debug name the cause in our words only; the raw
// error is logged at debug.
func TestPostMalformedAnswerNeitherStoredNorLoggedAboveDebug(t *testing.T) {
	const secret = "INTERNAL_BANNER_42"
	f := newFixture(t, store.Options{})
	eids := []string{
		f.seedMO("1069001", "banner", rawReceiver(t, "SSH-2.0-OpenSSH_9.6 "+secret+"\r\n")),
		f.seedMO("1069001", "header", rawReceiver(t, "HTTP/1.1 200 OK\r\nX-Leak "+secret+"\r\n\r\n")),
		f.seedMO("1069001", "status", rawReceiver(t, "HTTP/1.1 2x0 "+secret+"\r\n\r\n")),
	}
	var logs logCapture
	cfg := f.fastConfig(tenants(""))
	cfg.RetryFor = 300 * time.Millisecond
	cfg.Logger = logs.logger().Level(zerolog.DebugLevel)
	r := start(t, cfg)
	waitOutcomes(t, cfg, TypeMO, outcomeDead, len(eids))
	r.stop(t)
	for _, eid := range eids {
		if le := f.event(eid).LastError; le != "connection error: the receiver's answer is not a valid HTTP response" {
			t.Errorf("event %s: last error %q", eid, le)
		}
	}
	logs.onlyAtDebug(t, secret)
}
