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
// cross processes: another replica finds the work by polling.
package wake

// Hub holds the two signals of every channel it was created with. Its
// methods are safe for concurrent use; the set of channels is fixed.
type Hub struct {
	jobs, events map[string]chan struct{}
}

// New returns a Hub for channels.
func New(channels ...string) *Hub {
	h := &Hub{jobs: make(map[string]chan struct{}, len(channels)), events: make(map[string]chan struct{}, len(channels))}
	for _, ch := range channels {
		h.jobs[ch] = make(chan struct{}, 1)
		h.events[ch] = make(chan struct{}, 1)
	}
	return h
}

// Has reports whether the hub has signals for channel.
func (h *Hub) Has(channel string) bool {
	_, ok := h.jobs[channel]
	return ok
}

// JobsQueued signals that jobs of channel are ready to be leased. It never
// blocks; an unknown channel is ignored.
func (h *Hub) JobsQueued(channel string) { signal(h.jobs[channel]) }

// EventsReady signals that webhook events of channel are ready to be
// leased. It never blocks; an unknown channel is ignored.
func (h *Hub) EventsReady(channel string) { signal(h.events[channel]) }

// Jobs is the signal of JobsQueued for channel: it receives once after
// one or more JobsQueued calls. It is nil (never ready) for an unknown
// channel.
func (h *Hub) Jobs(channel string) <-chan struct{} { return h.jobs[channel] }

// Events is the signal of EventsReady for channel, like Jobs.
func (h *Hub) Events(channel string) <-chan struct{} { return h.events[channel] }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // already signalled (or nil: unknown channel)
	}
}
