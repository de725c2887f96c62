package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RouteUnmatched is the route label of requests no route matched (404 and
// 405 answers): one series for every path a client may invent.
const RouteUnmatched = "unmatched"

// MethodOther is the method label of every method outside the standard
// set (see MethodLabel).
const MethodOther = "other"

// MethodLabel returns the method label of an HTTP request: the method
// itself for GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS, MethodOther
// for anything else (CONNECT, TRACE, and whatever token a client sends).
// A label taken from the request as sent would let any client add series
// without bound, and make each as long as the request line allows.
func MethodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return MethodOther
}

// ObserveHTTP records one API request in the latency histogram. route is
// the matched route pattern ("/sms/:id"), or "" when none matched, which
// is counted as RouteUnmatched; the method goes through MethodLabel. It
// is the only way to the histogram, so its label set stays bounded by
// routes × 8 methods × status codes.
func (m *Metrics) ObserveHTTP(route, method string, status int, elapsed time.Duration) {
	if route == "" {
		route = RouteUnmatched
	}
	k := httpSeries{route: route, method: MethodLabel(method), status: status}
	m.httpSeries.get(k, func() prometheus.Observer {
		return m.httpDuration.WithLabelValues(k.route, k.method, strconv.Itoa(k.status))
	}).Observe(elapsed.Seconds())
}

// httpSeries is the label set of one series of the HTTP latency histogram
// (the status code still a number).
type httpSeries struct {
	route, method string
	status        int
}

// acceptedSeries is the label set of the accepted requests and segments
// counters.
type acceptedSeries struct{ channel, ingress string }

// acceptedCounters are the two counters of one acceptedSeries.
type acceptedCounters struct{ requests, segments prometheus.Counter }

// Accepted counts one request accepted on channel through ingress ("http"
// or "cmpp") and its segments, in AcceptedRequests and AcceptedSegments.
// It is what a per-request path should call: the counters of each
// channel and ingress are looked up once, not per request.
func (m *Metrics) Accepted(channel, ingress string, segments int) {
	c := m.acceptedSeries.get(acceptedSeries{channel, ingress}, func() acceptedCounters {
		return acceptedCounters{
			requests: m.AcceptedRequests.WithLabelValues(channel, ingress),
			segments: m.AcceptedSegments.WithLabelValues(channel, ingress),
		}
	})
	c.requests.Inc()
	c.segments.Add(float64(segments))
}
