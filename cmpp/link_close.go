package cmpp

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Close ends the link gracefully: it refuses new requests and those still
// waiting for a window slot (they fail with an error wrapping
// ErrLinkClosing and ErrLinkClosed; nothing of them was sent), waits until the
// requests in flight are answered or timed out or ctx is done, lets the
// DeliverHandler finish the DELIVERs already read so that their
// DELIVER_RESPs go out before TERMINATE (see waitDelivers; it does not
// wait for DELIVERs that keep arriving meanwhile), sends
// TERMINATE and waits for TERMINATE_RESP (at most ResponseTimeout), then
// closes the socket and waits for the link's goroutines to exit (a
// DeliverHandler must return when its ctx is cancelled).
//
// It returns nil after a clean close, ctx.Err() when ctx ended first (the
// link is then closed at once, failing what is still pending), or the
// TERMINATE error. The link is closed in every case. Calling Close on a
// link that is already down only waits for its goroutines.
func (l *Link) Close(ctx context.Context) error {
	var waiting []*pending
	l.mu.Lock()
	state := l.state
	if state == StateReady {
		l.state = StateClosing
		l.closing.Store(true)
		waiting = l.takeWaitingLocked() // never sent: refused like new calls
		if len(l.pending) == 0 && !l.drainedDone {
			l.drainedDone = true
			close(l.drained)
		}
	}
	l.mu.Unlock()
	failWaiting(waiting, errClosing)
	switch state {
	case StateClosing: // another Close is running
		select {
		case <-l.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		return l.wait(ctx)
	case StateClosed:
		return l.wait(ctx)
	}

	l.log.Info().Msg("cmpp link closing")
	var err error
	select {
	case <-l.drained:
		l.waitDelivers(ctx)
		err = l.terminate(ctx)
	case <-l.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	l.fail(ErrClosedByUser)
	return errors.Join(err, l.wait(ctx))
}

// terminate sends TERMINATE and waits for TERMINATE_RESP, bounded by
// ResponseTimeout and ctx.
func (l *Link) terminate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.ResponseTimeout)
	defer cancel()
	_, err := l.roundTrip(ctx, &Terminate{}, false)
	if err != nil && errors.Is(err, ErrLinkClosed) {
		return nil // the peer hung up first: the link is closed anyway
	}
	if err != nil {
		return fmt.Errorf("cmpp: TERMINATE: %w", err)
	}
	return nil
}

// wait waits until the link's goroutines have exited or ctx is done.
func (l *Link) wait(ctx context.Context) error {
	select {
	case <-l.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitDelivers waits until no DELIVER read before it began is in hand
// (its handler returned and its DELIVER_RESP is queued ahead of any later
// request, so it is written before TERMINATE), at most ResponseTimeout or
// until ctx is done or the link is down. Without it TERMINATE would
// overtake the answers of reports still being stored: the link would go
// down under their handlers and the ISMG would resend them. DELIVERs read
// after it began are handled and answered while the link is up, but not
// waited for: on a channel with steady reports the count would never
// reach zero. Longer than ResponseTimeout is not worth waiting, since by
// then the ISMG resends anyway; TERMINATE then goes out and what is still
// in hand is left unanswered. A DELIVER arriving after TERMINATE was sent
// cannot be answered either way.
func (l *Link) waitDelivers(ctx context.Context) {
	if l.delivering.Or(deliversFrozen)&^deliversFrozen == 0 {
		return
	}
	t := time.NewTimer(l.cfg.ResponseTimeout)
	defer t.Stop()
	for l.delivering.Load()&^deliversFrozen > 0 {
		select {
		case <-l.deliversIdle:
		case <-l.done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			return
		}
	}
}
