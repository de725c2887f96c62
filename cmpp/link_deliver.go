package cmpp

// delivery is one DELIVER queued for the handler workers.
type delivery struct {
	seq uint32 // the DELIVER's Sequence_Id, echoed in DELIVER_RESP
	d   *Deliver
}

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
	if h := l.cfg.DeliverHandler; h != nil {
		if err := h(l.ctx, it.d); err != nil {
			l.counters.deliverErrors.Add(1)
			l.log.Warn().Err(err).Stringer("msg_id", it.d.MsgID).Uint32("seq", it.seq).
				Msg("cmpp DELIVER handler failed, not acknowledged")
			return
		}
	}
	l.counters.deliversHandled.Add(1)
	l.sendCtrl(l.encodeCtrl(it.seq, &DeliverResp{MsgID: it.d.MsgID, Result: 0}))
}
