package metrics

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// TestAcceptedCountsBothSeries checks Accepted adds to the requests and
// segments counters of its channel and ingress only, on every call (the
// cached counters are the Vec's own children).
func TestAcceptedCountsBothSeries(t *testing.T) {
	m := New()
	m.Accepted("cm1", "http", 3)
	m.Accepted("cm1", "http", 2)
	m.Accepted("cm2", "cmpp", 1)
	for _, tc := range []struct {
		channel, ingress string
		requests, segs   float64
	}{{"cm1", "http", 2, 5}, {"cm2", "cmpp", 1, 1}, {"cm1", "cmpp", 0, 0}} {
		if got := value(t, m.AcceptedRequests.WithLabelValues(tc.channel, tc.ingress)); got != tc.requests {
			t.Errorf("%s/%s requests %v, want %v", tc.channel, tc.ingress, got, tc.requests)
		}
		if got := value(t, m.AcceptedSegments.WithLabelValues(tc.channel, tc.ingress)); got != tc.segs {
			t.Errorf("%s/%s segments %v, want %v", tc.channel, tc.ingress, got, tc.segs)
		}
	}
}

// value reads a counter.
func value(t *testing.T, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}

// BenchmarkObserveHTTP measures one latency observation of a series seen
// before (the per-request cost of the HTTP middleware's metrics).
func BenchmarkObserveHTTP(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveHTTP("/sms", "POST", 202, time.Millisecond)
	}
}

// BenchmarkAccepted measures counting one accepted request.
func BenchmarkAccepted(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.Accepted("cm1", "http", 1)
	}
}
