package webhook

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// chanLoop is the lease loop and the ack loop of one channel.
type chanLoop struct {
	name      string
	stop      context.CancelFunc // ends the lease loop
	leaseDone chan struct{}      // closed when the lease loop has returned
	acks      chan ackItem       // drained by the ack loop; closed after the last delivery
	active    sync.WaitGroup     // deliveries of events this loop leased
}

// SetChannels makes names the channels whose outboxes are drained. A
// channel not yet served gets its lease loop and ack loop at once; for a
// channel no longer listed the lease loop stops (SetChannels returns once
// it has: nothing more is leased on it), while the deliveries it started
// finish as usual and are acked, after which its ack loop ends. Events of
// a removed channel still need delivery: the caller lists every channel
// that has events, active or removed. Called before Run it sets the
// channels Run starts with; once Run is stopping it only records the list.
// It refuses (and changes nothing) a channel the wake hub does not know.
// Safe for concurrent use.
func (d *Dispatcher) SetChannels(names []string) error {
	for _, ch := range names {
		if !d.cfg.Wake.Has(ch) {
			return fmt.Errorf("webhook: SetChannels: the wake hub has no channel %q", ch)
		}
	}
	d.setMu.Lock()
	defer d.setMu.Unlock()
	d.mu.Lock()
	d.channels = slices.Clone(names)
	var removed []*chanLoop
	if d.started && !d.stopping {
		removed = d.follow()
	}
	d.mu.Unlock()
	for _, l := range removed {
		<-l.leaseDone
	}
	return nil
}

// follow starts the loops of the channels listed and not served, and stops
// the lease loops of those served and not listed, which it returns. d.mu
// is held, Run has started and is not stopping.
func (d *Dispatcher) follow() []*chanLoop {
	want := make(map[string]bool, len(d.channels))
	for _, ch := range d.channels {
		want[ch] = true
	}
	var removed []*chanLoop
	for ch, l := range d.loops {
		if want[ch] {
			continue
		}
		delete(d.loops, ch)
		l.stop()
		// Owned by Run through retiring: once the lease loop has ended no
		// delivery of l starts, and once the last has ended nothing is
		// left to ack.
		d.retiring.Go(func() {
			<-l.leaseDone
			l.active.Wait()
			close(l.acks)
		})
		d.log.Info().Str("channel", ch).Msg("channel no longer served: deliveries in flight finish")
		removed = append(removed, l)
	}
	for ch := range want {
		if _, ok := d.loops[ch]; ok {
			continue
		}
		ctx, stop := context.WithCancel(d.runCtx)
		l := &chanLoop{name: ch, stop: stop, leaseDone: make(chan struct{}), acks: make(chan ackItem, ackBatchMax)}
		d.loops[ch] = l
		d.leases.Go(func() {
			defer close(l.leaseDone)
			defer stop()
			d.leaseLoop(ctx, l)
		})
		d.ackers.Go(func() { d.ackLoop(ch, l.acks) })
	}
	return removed
}
