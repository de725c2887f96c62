package webhook

import (
	"context"
	"errors"
	"sync"
)

// errHostBusy: the host has as many POSTs in flight and waiting as it may.
var errHostBusy = errors.New("webhook: host saturated")

// hostLimiter caps concurrent POSTs per URL host (a counting semaphore per
// host). A delivery whose host is saturated waits on that host's semaphore
// only, so other hosts are never held up; at most maxWait deliveries wait
// per host, further ones get errHostBusy at once (the dispatcher then puts
// the event back in the store for later instead of holding its lease).
// Entries are removed when no delivery uses the host, so the map stays as
// small as the set of hosts currently being called.
type hostLimiter struct {
	limit   int
	maxWait int

	mu    sync.Mutex
	hosts map[string]*hostSlot
}

// hostSlot is the state of one host.
type hostSlot struct {
	sem     chan struct{} // one token per POST in flight
	waiting int           // deliveries blocked on sem
	users   int           // in flight + waiting; the entry goes at 0
}

func newHostLimiter(limit, maxWait int) *hostLimiter {
	return &hostLimiter{limit: max(limit, 1), maxWait: max(maxWait, 0), hosts: make(map[string]*hostSlot)}
}

// acquire takes a slot of host, waiting while the host is saturated. It
// returns errHostBusy when maxWait deliveries already wait for the host,
// or ctx's error. On success the caller must call release(host) once.
func (l *hostLimiter) acquire(ctx context.Context, host string) error {
	l.mu.Lock()
	h := l.hosts[host]
	if h == nil {
		h = &hostSlot{sem: make(chan struct{}, l.limit)}
		l.hosts[host] = h
	}
	select {
	case h.sem <- struct{}{}:
		h.users++
		l.mu.Unlock()
		return nil
	default:
	}
	if h.waiting >= l.maxWait {
		l.mu.Unlock()
		return errHostBusy
	}
	h.waiting++
	h.users++
	l.mu.Unlock()

	var err error
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		err = ctx.Err()
	}
	l.mu.Lock()
	h.waiting--
	if err != nil {
		l.dropLocked(host, h)
	}
	l.mu.Unlock()
	return err
}

// release gives back a slot taken by acquire.
func (l *hostLimiter) release(host string) {
	l.mu.Lock()
	h := l.hosts[host]
	<-h.sem
	l.dropLocked(host, h)
	l.mu.Unlock()
}

// dropLocked forgets one user of h, and h itself when nobody uses it.
func (l *hostLimiter) dropLocked(host string, h *hostSlot) {
	h.users--
	if h.users == 0 {
		delete(l.hosts, host)
	}
}

// inUse returns the number of hosts with deliveries in flight or waiting.
func (l *hostLimiter) inUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hosts)
}
