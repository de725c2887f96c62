package metrics

import (
	"net/http"
	"strconv"
	"time"
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
	m.httpDuration.WithLabelValues(route, MethodLabel(method), strconv.Itoa(status)).Observe(elapsed.Seconds())
}
