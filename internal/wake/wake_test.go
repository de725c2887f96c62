package wake

import (
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// Signals are per channel and per kind, never block, and collapse: many
// sends before the consumer looks are one wake-up.
func TestSignalsArePerChannelAndKindAndCollapse(t *testing.T) {
	h := New("a", "b")
	for range 3 {
		h.JobsQueued("a") // must not block on a full signal
	}
	h.EventsReady("b")
	h.JobsQueued("nope") // unknown: ignored, no panic
	h.EventsReady("nope")

	ready := testenv.Signalled
	if !ready(h.Jobs("a")) {
		t.Fatal("jobs of a not signalled")
	}
	if ready(h.Jobs("a")) {
		t.Fatal("three JobsQueued gave more than one wake-up")
	}
	if ready(h.Events("a")) || ready(h.Jobs("b")) {
		t.Fatal("a signal leaked to another channel or kind")
	}
	if !ready(h.Events("b")) {
		t.Fatal("events of b not signalled")
	}
	if h.Jobs("nope") != nil || h.Events("nope") != nil {
		t.Fatal("an unknown channel has a signal")
	}
	if !h.Has("a") || h.Has("nope") {
		t.Fatal("Has")
	}
}
