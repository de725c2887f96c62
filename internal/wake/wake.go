// Package wake carries the in-process wake-up signals between the parts of
// smsbridge: "jobs were queued on channel X" (the API after a request, the
// maintainer after a lease recovery) wakes that channel's sender leaser,
// and "events are ready on channel X" (the sender after reports, the
// maintainer after recoveries and sweeps, the admin replay) wakes that
// channel's webhook lease loop. Without a signal each loop still finds the
// work at its next poll; the signal only makes it start at once.
//
// One Hub is created first (gateway.New) and handed to every part, so no
// part needs another to exist before it can be told of work. A signal is a
// buffered channel of one: sending never blocks, and any number of sends
// before the consumer looks collapse into one wake-up. Each signal has one
// consumer (the one loop of its channel in this process). Signals do not
// cross processes: another replica finds the work by polling. Channels
// added or removed at runtime are given or lose their signals with Add and
// Remove; the process's wiring adds a channel before any part serves it
// and removes it once none does.
package wake

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Hub holds the two signals of every channel it knows. Its methods are
// safe for concurrent use. Channels come and go with Add and Remove; the
// signal methods read an immutable snapshot of the set (one atomic load),
// so they never wait for a change of it.
type Hub struct {
	mu   sync.Mutex                          // serialises Add and Remove
	sigs atomic.Pointer[map[string]*signals] // replaced, never changed in place
}

// signals are the two signals of one channel.
type signals struct {
	jobs, events chan struct{}
}

// New returns a Hub for channels.
func New(channels ...string) *Hub {
	m := make(map[string]*signals, len(channels))
	for _, ch := range channels {
		m[ch] = newSignals()
	}
	h := &Hub{}
	h.sigs.Store(&m)
	return h
}

func newSignals() *signals {
	return &signals{jobs: make(chan struct{}, 1), events: make(chan struct{}, 1)}
}

// Add gives channel its signals. A channel the hub already knows keeps
// its signals (a consumer waiting on them is still woken), so Add is
// idempotent.
func (h *Hub) Add(channel string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.sigs.Load()
	if _, ok := old[channel]; ok {
		return
	}
	m := maps.Clone(old)
	if m == nil {
		m = map[string]*signals{}
	}
	m[channel] = newSignals()
	h.sigs.Store(&m)
}

// Remove forgets channel: its signals are dropped from then on, and Jobs
// and Events return nil for it. A consumer already waiting on a signal of
// channel is not woken by it any more (it finds work at its next poll).
// Remove the channel only once no part of the process serves it; Add
// after Remove gives it new signals.
func (h *Hub) Remove(channel string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.sigs.Load()
	if _, ok := old[channel]; !ok {
		return
	}
	m := maps.Clone(old)
	delete(m, channel)
	h.sigs.Store(&m)
}

// Channels returns the channels the hub knows, in no particular order.
func (h *Hub) Channels() []string {
	m := *h.sigs.Load()
	out := make([]string, 0, len(m))
	for ch := range m {
		out = append(out, ch)
	}
	return out
}

func (h *Hub) get(channel string) *signals { return (*h.sigs.Load())[channel] }

// Has reports whether the hub has signals for channel.
func (h *Hub) Has(channel string) bool { return h.get(channel) != nil }

// JobsQueued signals that jobs of channel are ready to be leased. It never
// blocks; an unknown channel is ignored.
func (h *Hub) JobsQueued(channel string) {
	if s := h.get(channel); s != nil {
		signal(s.jobs)
	}
}

// EventsReady signals that webhook events of channel are ready to be
// leased. It never blocks; an unknown channel is ignored.
func (h *Hub) EventsReady(channel string) {
	if s := h.get(channel); s != nil {
		signal(s.events)
	}
}

// Jobs is the signal of JobsQueued for channel: it receives once after
// one or more JobsQueued calls. It is nil (never ready) for an unknown
// channel. A consumer looks it up before each wait, so that it follows a
// Remove and a later Add of its channel.
func (h *Hub) Jobs(channel string) <-chan struct{} {
	if s := h.get(channel); s != nil {
		return s.jobs
	}
	return nil
}

// Events is the signal of EventsReady for channel, like Jobs.
func (h *Hub) Events(channel string) <-chan struct{} {
	if s := h.get(channel); s != nil {
		return s.events
	}
	return nil
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // already signalled
	}
}
