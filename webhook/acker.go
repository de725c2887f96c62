package webhook

import (
	"errors"

	"github.com/smsbridge/smsbridge/store"
)

// ackBatchMax bounds the events acked by one store call.
const ackBatchMax = 256

// ackItem is one settled event waiting for its ack.
type ackItem struct {
	e       *leased
	outcome string
}

// ack hands a settled event to the ack loop of its channel, which forgets
// it in the store (with others settled meanwhile: one round trip per
// batch, not per event), then counts and logs it.
func (d *Dispatcher) ack(e *leased, outcome string) {
	e.loop.acks <- ackItem{e: e, outcome: outcome}
}

// ackLoop acks the events handed to in by batches: it waits for one, takes
// whatever else is already waiting (up to ackBatchMax), and acks them
// with one Store.AckEvents call. It returns once in is closed and
// drained; it is closed after the last delivery of its lease loop has
// ended (by Run, or after the removal of the channel).
func (d *Dispatcher) ackLoop(channel string, in <-chan ackItem) {
	batch := make([]ackItem, 0, ackBatchMax)
	ids := make([]string, 0, ackBatchMax)
	for first := range in {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < ackBatchMax {
			select {
			case it, ok := <-in:
				if !ok {
					break drain
				}
				batch = append(batch, it)
			default:
				break drain
			}
		}
		ids = ids[:0]
		for _, it := range batch {
			ids = append(ids, it.e.ev.ID)
		}
		d.flushAcks(channel, batch, ids)
		clear(batch) // drop the events for the GC
	}
}

// flushAcks acks the events of batch (ids are theirs, in order), then
// counts and logs each.
func (d *Dispatcher) flushAcks(channel string, batch []ackItem, ids []string) {
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.AckEvents(ctx, channel, ids)
	cancel()
	var notLeased map[string]bool
	var nl *store.NotLeasedError
	if errors.As(err, &nl) {
		notLeased = make(map[string]bool, len(nl.IDs))
		for _, id := range nl.IDs {
			notLeased[id] = true
		}
		err = nil
	}
	for _, it := range batch {
		e := it.e
		d.count(e, it.outcome)
		switch {
		case notLeased[e.ev.ID]:
			e.logger().Warn().Msg("event acked after its lease expired: it may be delivered twice")
		case err != nil:
			e.logger().Error().Err(err).Msg("ack event (it will be delivered again)")
		case it.outcome == outcomeNoCallback:
			e.logger().Info().Msg("no callback URL for the event (none on the request, none for the tenant): dropped")
		default:
			// Only when debug lines are written: e.logger() would build
			// the event's logger for a line that is dropped.
			if probe := d.log.Debug(); probe.Enabled() {
				probe.Discard()
				e.logger().Debug().Msg("webhook delivered")
			}
		}
	}
}
