package cmpp

import (
	"fmt"
	"runtime/debug"
)

// delivery is one DELIVER queued for the handler workers.
type delivery struct {
	seq     uint32 // the DELIVER's Sequence_Id, echoed in DELIVER_RESP
	d       *Deliver
	counted bool // read before Close began waiting: Close waits for it
}

// deliversFrozen is the bit of Link.delivering set when Close begins to
// wait for the DELIVERs in hand (see waitDelivers); the bits below it
// count those DELIVERs.
const deliversFrozen = int64(1) << 62

// deliverWorker runs DeliverHandler for queued DELIVERs until the link is
// down. A DELIVER_RESP (Msg_Id = the DELIVER header's Msg_Id, Result 0) is
// queued on the priority path only after the handler returned nil; a
// handler error leaves the DELIVER unacknowledged so the ISMG resends it.
func (l *Link) deliverWorker() {
	defer l.exit()
	for {
		select {
		case <-l.done:
			return
		case it := <-l.delivers:
			l.handleDeliver(it)
		}
	}
}

func (l *Link) handleDeliver(it delivery) {
	if it.counted {
		defer l.deliverDone()
	}
	if h := l.cfg.DeliverHandler; h != nil {
		if err := l.callHandler(h, it.d); err != nil {
			l.counters.deliverErrors.Add(1)
			ev := l.log.Warn()
			if l.ctx.Err() != nil {
				// The link went down under the handler: no answer could
				// be sent any more, and the ISMG resends. Expected at
				// every close; the handler's owner counts these.
				ev = l.log.Debug()
			}
			ev.Err(err).Stringer("msg_id", it.d.MsgID).Uint32("seq", it.seq).
				Msg("cmpp DELIVER handler failed, not acknowledged")
			return
		}
	}
	l.counters.deliversHandled.Add(1)
	l.sendCtrl(l.encodeCtrl(it.seq, &DeliverResp{MsgID: it.d.MsgID, Result: 0}))
}

// countDeliver counts a DELIVER just read as in hand, unless Close already
// waits for the DELIVERs in hand: a DELIVER read after that is still
// handled and answered while the link is up, but Close does not wait for
// it, or a peer sending steadily would hold TERMINATE back for good. It
// reports whether the DELIVER was counted.
func (l *Link) countDeliver() bool {
	for {
		n := l.delivering.Load()
		if n&deliversFrozen != 0 {
			return false
		}
		if l.delivering.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// deliverDone ends one counted DELIVER in hand, its DELIVER_RESP (if any)
// queued on the priority path; the last one while Close waits wakes
// waitDelivers.
func (l *Link) deliverDone() {
	if l.delivering.Add(-1) == deliversFrozen {
		select {
		case l.deliversIdle <- struct{}{}:
		default:
		}
	}
}

// callHandler runs h, turning a panic into an error (like net/http): the
// DELIVER then stays unacknowledged and the link stays up.
func (l *Link) callHandler(h DeliverHandler, d *Deliver) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cmpp: DeliverHandler panicked: %v", r)
			l.log.Error().Str("stack", string(debug.Stack())).Msg("cmpp DeliverHandler panic")
		}
	}()
	return h(l.ctx, d)
}
