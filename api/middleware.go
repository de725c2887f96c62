package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
)

// RequestIDHeader carries the HTTP request's correlation id: echoed when the
// client sends a usable one (1..128 visible ASCII characters), generated
// otherwise, and logged as x_request_id.
const RequestIDHeader = "X-Request-Id"

// logKey is the gin context key of the per-request *accessLog.
const logKey = "smsbridge.log"

// accessLog collects the fields of the one log line written per HTTP
// request; handlers add to it instead of logging themselves.
type accessLog struct {
	xRequestID string
	tenant     string
	smsID      string
	channel    string
	recipients int
	segments   int
	code       Code
	err        error
	replayed   bool
	// debug adds fields logged only at Debug level (numbers, content).
	debug func(e *zerolog.Event)
}

// logOf returns the access log of c (a throwaway one outside the
// middleware, e.g. in unit tests of a handler).
func logOf(c *gin.Context) *accessLog {
	if v, ok := c.Get(logKey); ok {
		return v.(*accessLog)
	}
	l := &accessLog{}
	c.Set(logKey, l)
	return l
}

// setLogError records the error code of the response.
func setLogError(c *gin.Context, code Code) { logOf(c).code = code }

// validRequestID reports whether a client-sent X-Request-Id is echoed.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// observe is the outermost middleware: it assigns the X-Request-Id, and
// after the handler writes one access log line and observes the latency
// with Metrics.ObserveHTTP by route pattern (never the raw path, so ids do
// not explode the label set). Values the client chose (method, path) are
// logged through clip.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	l := &accessLog{xRequestID: c.GetHeader(RequestIDHeader)}
	if !validRequestID(l.xRequestID) {
		l.xRequestID = newRequestID()
	}
	c.Set(logKey, l)
	c.Header(RequestIDHeader, l.xRequestID)

	c.Next()

	elapsed := time.Since(start)
	status := c.Writer.Status()
	route := c.FullPath()
	if s.metrics != nil {
		s.metrics.ObserveHTTP(route, c.Request.Method, status, elapsed)
	}
	if route == "" {
		route = metrics.RouteUnmatched
	}
	var ev *zerolog.Event
	switch {
	case status >= 500:
		ev = s.log.Error()
	case route == "/healthz" || route == "/readyz" || route == "/metrics":
		ev = s.log.Debug() // probes and scrapes would drown the log
	default:
		ev = s.log.Info()
	}
	if !ev.Enabled() {
		return
	}
	ev.Str("x_request_id", l.xRequestID).
		Str("method", clip(c.Request.Method)).
		Str("route", route).
		Int("status", status).
		Dur("duration", elapsed).
		Int("bytes", c.Writer.Size())
	if l.tenant != "" {
		ev.Str("tenant", l.tenant)
	}
	if l.smsID != "" {
		ev.Str("request_id", l.smsID)
	}
	if l.channel != "" {
		ev.Str("channel", l.channel)
	}
	if l.recipients > 0 {
		ev.Int("recipients", l.recipients).Int("segments", l.segments).Int("total_segments", l.recipients*l.segments)
	}
	if l.code != "" {
		ev.Str("code", string(l.code))
	}
	if l.replayed {
		ev.Bool("idempotent_replay", true)
	}
	if l.err != nil {
		ev.Err(l.err)
	}
	if s.log.GetLevel() <= zerolog.DebugLevel {
		if route == metrics.RouteUnmatched {
			// A path may carry anything a client typed (numbers too).
			ev.Str("path", clip(c.Request.URL.Path))
		}
		if l.debug != nil {
			l.debug(ev)
		}
	}
	ev.Msg("http request")
}

// recoverPanic turns a panic in a handler into a 500 JSON answer and an
// error on the access log line (with the stack), instead of a dropped
// connection.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		rec := recover()
		if rec == nil {
			return
		}
		if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
			panic(rec)
		}
		logOf(c).err = fmt.Errorf("panic: %v\n%s", rec, debug.Stack())
		if c.Writer.Written() {
			c.Abort()
			return
		}
		abort(c, errorf(http.StatusInternalServerError, CodeInternal, "internal error"))
	}()
	c.Next()
}
