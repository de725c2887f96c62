package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// logCapture collects a Dispatcher's JSON log lines (every level); its
// Write is safe for the dispatcher's goroutines.
type logCapture struct{ testenv.LogBuffer }

// logger returns a logger writing to c.
func (c *logCapture) logger() zerolog.Logger { return zerolog.New(c) }

// logLine is the part of a log line the tests look at.
type logLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	EventID string `json:"event_id"`
	Err     string `json:"err"`
	Events  int    `json:"events"` // of a batch line
	raw     string
}

// at reports whether the line is logged at min or above.
func (l logLine) at(min zerolog.Level) bool {
	lv, err := zerolog.ParseLevel(l.Level)
	return err == nil && lv >= min
}

// lines returns the lines logged so far.
func (c *logCapture) lines(t testing.TB) []logLine {
	t.Helper()
	raw := c.Bytes()
	var out []logLine
	for b := range bytes.Lines(raw) {
		var l logLine
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatalf("log line %q: %v", b, err)
		}
		l.raw = string(b)
		out = append(out, l)
	}
	return out
}

// batchLines returns the batch lines (any level) with message msg.
func (c *logCapture) batchLines(t testing.TB, msg string) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range c.lines(t) {
		if l.Message == msg && l.Events > 0 {
			out = append(out, l)
		}
	}
	return out
}

// find returns the lines at min or above about event id with message msg.
func (c *logCapture) find(t testing.TB, min zerolog.Level, id, msg string) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range c.lines(t) {
		if l.at(min) && l.EventID == id && l.Message == msg {
			out = append(out, l)
		}
	}
	return out
}

// onlyAtDebug fails t when s (what the receiver sent) is in a line logged
// above debug, or in no line at all (it must still reach debug logs).
func (c *logCapture) onlyAtDebug(t testing.TB, s string) {
	t.Helper()
	debug := 0
	for _, l := range c.lines(t) {
		if !strings.Contains(l.raw, s) {
			continue
		}
		if l.at(zerolog.InfoLevel) {
			t.Errorf("the receiver's answer logged at %s: %s", l.Level, l.raw)
		} else {
			debug++
		}
	}
	if debug == 0 {
		t.Errorf("%q is not logged at debug either", s)
	}
}
