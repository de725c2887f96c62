package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// healthzServer answers 200 on /healthz with the given status and 404
// elsewhere, like the gateway's probe route.
func healthzServer(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func runHealthcheck(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"healthcheck"}, args...), &stdout, &stderr)
	if stdout.Len() != 0 {
		t.Errorf("healthcheck wrote to stdout: %q", stdout.String())
	}
	return code, stderr.String()
}

func TestHealthcheckOK(t *testing.T) {
	srv := healthzServer(t, http.StatusOK)
	if code, stderr := runHealthcheck(t, "-url", srv.URL+"/healthz"); code != 0 {
		t.Fatalf("exit %d, want 0; stderr %q", code, stderr)
	}
}

func TestHealthcheckNon200Fails(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusInternalServerError, http.StatusNoContent} {
		srv := healthzServer(t, status)
		code, stderr := runHealthcheck(t, "-url", srv.URL+"/healthz")
		if code != 1 {
			t.Errorf("status %d: exit %d, want 1", status, code)
		}
		if !strings.Contains(stderr, http.StatusText(status)) {
			t.Errorf("status %d: stderr %q does not name the status", status, stderr)
		}
	}
	// A wrong path is a 404, not a pass.
	srv := healthzServer(t, http.StatusOK)
	if code, _ := runHealthcheck(t, "-url", srv.URL+"/nope"); code != 1 {
		t.Errorf("404: exit %d, want 1", code)
	}
}

func TestHealthcheckConnectionRefusedFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	code, stderr := runHealthcheck(t, "-url", "http://"+addr+"/healthz")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "healthcheck:") {
		t.Errorf("stderr %q does not explain the failure", stderr)
	}
}

func TestHealthcheckTimeoutFails(t *testing.T) {
	// The handler answers only when the client gives up, so the probe's
	// own deadline is what ends the request.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	code, stderr := runHealthcheck(t, "-url", srv.URL+"/healthz", "-timeout", "100ms")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "deadline exceeded") {
		t.Errorf("stderr %q does not report the timeout", stderr)
	}
}

func TestHealthcheckDefaultURLFollowsHTTPAddr(t *testing.T) {
	srv := healthzServer(t, http.StatusOK)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	// The container listens on 0.0.0.0; the probe must go to loopback.
	t.Setenv("SMSBRIDGE_HTTP_ADDR", "0.0.0.0:"+port)
	if code, stderr := runHealthcheck(t); code != 0 {
		t.Fatalf("exit %d, want 0; stderr %q", code, stderr)
	}
}

func TestHealthcheckUsageErrors(t *testing.T) {
	if code, _ := runHealthcheck(t, "extra"); code != 1 {
		t.Errorf("extra argument: exit %d, want 1", code)
	}
	if code, _ := runHealthcheck(t, "-url", "://bad"); code != 1 {
		t.Errorf("bad URL: exit %d, want 1", code)
	}
	if code, _ := runHealthcheck(t, "-nosuchflag"); code != 1 {
		t.Errorf("unknown flag: exit %d, want 1", code)
	}
}

func TestDefaultHealthURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/healthz"},
		{":9000", "http://127.0.0.1:9000/healthz"},
		{"[::]:9000", "http://127.0.0.1:9000/healthz"},
		{"127.0.0.1:8081", "http://127.0.0.1:8081/healthz"},
		{"10.1.2.3:8080", "http://10.1.2.3:8080/healthz"},
		{"[::1]:8080", "http://[::1]:8080/healthz"},
		{"localhost:8080", "http://localhost:8080/healthz"},
		{"no-port", "http://127.0.0.1:8080/healthz"},
	} {
		if got := defaultHealthURL(tc.addr); got != tc.want {
			t.Errorf("defaultHealthURL(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
