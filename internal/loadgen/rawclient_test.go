package loadgen

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveRaw answers the requests of each connection with the next of
// answers (raw HTTP), closing the connection after an answer that says
// "Connection: close".
func serveRaw(t *testing.T, answers ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		next := 0
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(conn)
			for next < len(answers) {
				req, err := http.ReadRequest(br)
				if err != nil {
					break
				}
				_, _ = io.Copy(io.Discard, req.Body)
				a := answers[next]
				next++
				_, _ = conn.Write([]byte(a))
				if strings.Contains(a, "Connection: close") {
					break
				}
			}
			_ = conn.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestRawConnReadsEveryAnswerShape(t *testing.T) {
	url := serveRaw(t,
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n4\r\n req\r\n0\r\n\r\n",
		"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy",
		"HTTP/1.0 202 Accepted\r\n\r\nto the end",
	)
	c, ok := newRawConn(url, "/sms", "k", 5*time.Second)
	if !ok {
		t.Fatal("plain http not taken")
	}
	defer c.close()
	ctx := context.Background()
	for i, want := range []struct {
		status int
		body   string
		open   bool
	}{{202, "hello", true}, {400, "bad req", true}, {503, "busy", false}, {202, "to the end", false}} {
		status, body, err := c.post(ctx, []byte(`{"to":["1"]}`), nil)
		if err != nil || status != want.status || string(body) != want.body || (c.conn != nil) != want.open {
			t.Fatalf("answer %d: %d %q %v (connection open %v), want %d %q (open %v)",
				i, status, body, err, c.conn != nil, want.status, want.body, want.open)
		}
	}
	if _, ok := newRawConn("https://127.0.0.1:1", "/sms", "k", time.Second); ok {
		t.Error("https must stay with net/http")
	}
}

func TestRawConnTimeoutAndCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts and never answers
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	url := "http://" + ln.Addr().String()
	c, _ := newRawConn(url, "/sms", "k", 50*time.Millisecond)
	if _, _, err := c.post(context.Background(), []byte("{}"), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no answer within the timeout: %v, want a deadline error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, _ = newRawConn(url, "/sms", "k", time.Minute)
	done := make(chan error, 1)
	go func() { _, _, err := c.post(ctx, []byte("{}"), nil); done <- err }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not interrupt the request")
	}
}
