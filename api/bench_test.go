package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"
)

// benchHarness is the harness of the POST /sms benchmarks: the middleware
// chain as production wires it (metrics on, one access line per request
// formatted at info), the line going to io.Discard rather than to the
// test's LogBuffer, whose growth is no cost of the service.
func benchHarness(b *testing.B) *harness {
	h := newHarness(b)
	h.srv.log = zerolog.New(io.Discard).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	return h
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per op since start (cpu-µs/op):
// what the service pays per request, Redis excluded (another process),
// the request building and recording of the benchmark itself included.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkPostSMS measures POST /sms (one recipient, short text) through
// the handler — auth, body checks, split, Redis CreateRequest (index SET +
// create script) — against a real Redis, without the TCP hop.
func BenchmarkPostSMS(b *testing.B) {
	h := benchHarness(b)
	body := []byte(`{"to":["13800138000"],"content":"Your code is 123456","client_ref":"bench"}`)
	handler := h.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/sms", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+acmeKey)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatalf("status %d %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkPostSMSParallel is BenchmarkPostSMS from GOMAXPROCS goroutines
// at once (the Redis round trips overlap).
func BenchmarkPostSMSParallel(b *testing.B) {
	h := benchHarness(b)
	body := []byte(`{"to":["13800138000"],"content":"Your code is 123456","client_ref":"bench"}`)
	handler := h.srv.Handler()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	cpu := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/sms", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+acmeKey)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != http.StatusAccepted {
				b.Errorf("status %d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkDecodeAndValidate measures the CPU work of POST /sms before
// Redis: reading and checking the JSON body and validating the fields
// (numbers, content split), for a typical body of 10 recipients and a
// two-segment Chinese text.
func BenchmarkDecodeAndValidate(b *testing.B) {
	h := newHarness(b)
	a := h.auth(b, acmeKey)
	raw := validateBenchBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		w := httptest.NewRecorder()
		c := gin.CreateTestContextOnly(w, h.srv.engine)
		c.Request = httptest.NewRequest(http.MethodPost, "/sms", bytes.NewReader(raw))
		c.Request.Header.Set("Content-Type", "application/json")
		var req SendRequest
		if e := readJSON(c, h.srv.maxBody, &req); e != nil {
			b.Fatal(e)
		}
		if _, e := h.srv.validate(a, &req); e != nil {
			b.Fatal(e)
		}
	}
}

// BenchmarkCheckJSONText measures the raw-body text and key check alone
// on the body of BenchmarkDecodeAndValidate.
func BenchmarkCheckJSONText(b *testing.B) {
	raw := validateBenchBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if e := checkJSONText(raw); e != nil {
			b.Fatal(e)
		}
	}
}

// validateBenchBody is the body both validation benchmarks measure: 10
// recipients and a two-segment Chinese text.
func validateBenchBody(b *testing.B) []byte {
	raw, err := json.Marshal(map[string]any{
		"to": numbers(10), "content": chinese(100), "client_ref": "bench-ref-1", "ext": "12",
	})
	if err != nil {
		b.Fatal(err)
	}
	return raw
}
