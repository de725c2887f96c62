package wake

import (
	"fmt"
	"sync"
	"testing"
	"time"

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

// Add gives a channel signals, keeps those of a known channel, and
// Remove drops them; a later Add gives fresh ones.
func TestAddRemove(t *testing.T) {
	h := New("a")
	sig := h.Jobs("a")
	h.Add("a") // known: same signal
	if h.Jobs("a") != sig {
		t.Fatal("Add replaced the signal of a known channel")
	}
	h.Add("b")
	h.EventsReady("b")
	if !testenv.Signalled(h.Events("b")) {
		t.Fatal("events of an added channel not signalled")
	}
	h.Remove("b")
	if h.Has("b") || h.Events("b") != nil {
		t.Fatal("a removed channel still has signals")
	}
	h.EventsReady("b") // removed: ignored
	h.Remove("b")      // twice: no-op
	h.Add("b")
	if testenv.Signalled(h.Events("b")) {
		t.Fatal("a channel added again kept a signal sent while it was removed")
	}
	if got := h.Channels(); len(got) != 2 {
		t.Fatalf("Channels() = %v, want a and b", got)
	}
}

// Add and Remove run concurrently with signals and lookups (run with
// -race): a signal to a known channel is never lost, one to a channel
// being removed is dropped or delivered, never a panic.
func TestAddRemoveConcurrentWithSignals(t *testing.T) {
	h := New("stable")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				h.JobsQueued("flappy")
				h.EventsReady("flappy")
				_ = h.Jobs("flappy")
				_ = h.Has("flappy")
				h.JobsQueued("stable")
			}
		})
	}
	wg.Go(func() {
		for i := range 2000 {
			if i%2 == 0 {
				h.Add("flappy")
			} else {
				h.Remove("flappy")
			}
			h.Add(fmt.Sprintf("c%d", i%7))
		}
	})
	// The stable channel keeps its signal through every change of the set.
	sig := h.Jobs("stable")
	testenv.WaitFor(t, 5*time.Second, "a signal of the stable channel", func() bool { return testenv.Signalled(sig) })
	close(stop)
	wg.Wait()
	if h.Jobs("stable") != sig {
		t.Fatal("changes of other channels replaced the stable channel's signal")
	}
	if !h.Has("c6") || !h.Has("c0") {
		t.Fatal("channels added concurrently are missing")
	}
}
