package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPostSMS measures POST /sms (one recipient, short text) through
// the handler — auth, body checks, split, Redis CreateRequest (index SET +
// create script) — against a real Redis, without the TCP hop.
func BenchmarkPostSMS(b *testing.B) {
	h := newHarness(b)
	body := []byte(`{"to":["13800138000"],"content":"Your code is 123456","client_ref":"bench"}`)
	handler := h.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkPostSMSParallel is BenchmarkPostSMS from GOMAXPROCS goroutines
// at once (the Redis round trips overlap).
func BenchmarkPostSMSParallel(b *testing.B) {
	h := newHarness(b)
	body := []byte(`{"to":["13800138000"],"content":"Your code is 123456","client_ref":"bench"}`)
	handler := h.srv.Handler()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
