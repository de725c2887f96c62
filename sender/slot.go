package sender

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsbridge/smsbridge/cmpp"
)

// runSlot keeps one link of the pool up until ctx is done: it logs in
// (backing off with jitter between failures), runs window-many workers on
// the link, and starts over when the link goes down. On ctx end it stops
// taking jobs, lets the workers finish what is in flight (bounded by hard,
// which ends DrainTimeout after ctx) and closes the link with TERMINATE.
func (c *Channel) runSlot(ctx, hard context.Context, slot int) {
	log := c.log.With().Int("link", slot).Logger()
	retry := backoffCounter{base: c.set.ReconnectBackoff, max: c.set.ReconnectMaxBackoff}
	cfg := c.set.Link
	cfg.DeliverHandler = c.handleDeliver
	cfg.Logger = log
	label := strconv.Itoa(slot)
	for ctx.Err() == nil {
		// With a cluster link limit the link holds a slot from before
		// it dials until after it has closed; linkCtx ends when the slot
		// is revoked (lost, or above this replica's share).
		linkCtx := ctx
		if c.slots != nil {
			c.setLinkState(label, cmpp.StateClosed)
			lc, ok := c.slots.acquire(ctx, slot)
			if !ok {
				break
			}
			linkCtx = lc
		}
		c.setLinkState(label, cmpp.StateConnecting)
		link, err := cmpp.Dial(linkCtx, cfg)
		if err != nil {
			c.releaseSlot(slot)
			if linkCtx.Err() != nil {
				continue // shut down, or slot revoked while dialing
			}
			wait := retry.next()
			ev := log.Warn()
			if errors.Is(err, cmpp.ErrAuth) || errors.Is(err, cmpp.ErrUnknownAccount) || errors.Is(err, cmpp.ErrVersionTooHigh) {
				ev = log.Error() // configuration problem: loud, but keep trying
			}
			ev.Err(err).Dur("retry_in", wait).Msg("login failed")
			c.setLinkState(label, cmpp.StateClosed)
			sleep(ctx, wait)
			continue
		}
		retry.reset()
		log.Info().Str("version", link.Version().String()).Msg("link up")
		c.attach(slot, link)
		c.work(linkCtx, hard, link, label)
		c.detach(slot)
		if linkCtx.Err() != nil {
			// Close may wait ResponseTimeout for the DELIVERs in hand to
			// be stored and answered, then as long for TERMINATE_RESP.
			closeCtx, cancel := context.WithTimeout(hard, 2*c.set.Link.ResponseTimeout)
			if err := link.Close(closeCtx); err != nil {
				log.Debug().Err(err).Msg("link close")
			}
			cancel()
			c.releaseSlot(slot)
			if ctx.Err() != nil {
				log.Info().Msg("link closed for shutdown")
				break
			}
			log.Info().Msg("link closed: its link slot was revoked")
			continue
		}
		c.releaseSlot(slot)
		log.Warn().Err(link.Err()).Msg("link down; reconnecting")
		sleep(ctx, retry.next())
	}
	c.setLinkState(label, cmpp.StateClosed)
}

// releaseSlot gives back the cluster link slot of link slot, if the
// channel has a cluster link limit.
func (c *Channel) releaseSlot(slot int) {
	if c.slots != nil {
		c.slots.release(slot)
	}
}

// work runs the link's workers until the link goes down or ctx ends, and
// waits for them.
func (c *Channel) work(ctx, hard context.Context, link *cmpp.Link, label string) {
	var wg sync.WaitGroup
	workers := c.set.Link.Window
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for {
				// Stopping wins over a waiting job: select picks at random
				// among ready cases, so without this check a worker would
				// go on taking jobs after ctx ended (sending new SUBMITs
				// during the drain) or after its link went down (each
				// turned into a link_lost retry).
				select {
				case <-ctx.Done():
					return
				case <-link.Done():
					return
				default:
				}
				select {
				case <-ctx.Done():
					return
				case <-link.Done():
					return
				case j := <-c.jobs:
					select {
					case c.room <- struct{}{}:
					default:
					}
					if !c.inHand.takeIfOwned(j.ID) {
						continue // another sender holds its lease now
					}
					// Errors only when hard ends: the lease then expires
					// and the job is sent again.
					o := c.send(hard, link, j)
					o.lease = j.Attempts
					_, _ = c.acks.do(hard, o)
				}
			}
		}()
	}
	if c.deps.Metrics != nil {
		// Window gauge, sampled while the link lives.
		stop := make(chan struct{})
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			g := c.deps.Metrics.WindowInUse.WithLabelValues(c.set.Name, label)
			for {
				g.Set(float64(link.Stats().InFlight))
				select {
				case <-t.C:
				case <-stop:
					g.Set(0)
					return
				}
			}
		}()
		defer close(stop)
	}
	c.setLinkState(label, cmpp.StateReady)
	wg.Wait()
}

func (c *Channel) attach(slot int, l *cmpp.Link) {
	c.mu.Lock()
	c.links[slot] = l
	c.mu.Unlock()
	c.ready.Add(1)
}

func (c *Channel) detach(slot int) {
	c.mu.Lock()
	c.links[slot] = nil
	c.mu.Unlock()
	c.ready.Add(-1)
}

// readyLink returns a logged-in link, or nil.
func (c *Channel) readyLink() *cmpp.Link {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.links {
		if l != nil && l.State() == cmpp.StateReady {
			return l
		}
	}
	return nil
}

var linkStates = []cmpp.LinkState{cmpp.StateConnecting, cmpp.StateReady, cmpp.StateClosing, cmpp.StateClosed}

func (c *Channel) setLinkState(label string, st cmpp.LinkState) {
	if c.deps.Metrics == nil {
		return
	}
	for _, s := range linkStates {
		v := 0.0
		if s == st {
			v = 1
		}
		c.deps.Metrics.LinkState.WithLabelValues(c.set.Name, label, s.String()).Set(v)
	}
}

// dropLinkGauges deletes the channel's link gauges (link state, slots
// held, window in use): a channel removed from the Service has no links
// any more, and its series must not linger as "closed".
func (c *Channel) dropLinkGauges() {
	if m := c.deps.Metrics; m != nil {
		m.LinkState.DeletePartialMatch(prometheus.Labels{"channel": c.set.Name})
		m.WindowInUse.DeletePartialMatch(prometheus.Labels{"channel": c.set.Name})
		m.LinkSlotsHeld.DeletePartialMatch(prometheus.Labels{"channel": c.set.Name})
	}
}
