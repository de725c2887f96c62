package cmppserver

import (
	"errors"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// pendingDeliver is a DELIVER in a link's window.
type pendingDeliver struct {
	frame  []byte // encoded once; a resend writes it again (same Sequence_Id, §9.3)
	sentAt time.Time
	sends  int
	done   func(result uint32, err error)
}

// sendDeliver puts d in the window and queues it; see link.deliver.
func (l *link) sendDeliver(d *cmpp.Deliver, done func(result uint32, err error)) bool {
	l.mu.Lock()
	if l.closing || l.inflight == nil || len(l.inflight) >= l.srv.cfg.Window {
		l.mu.Unlock()
		return false
	}
	seq := l.nextSeq()
	frame, err := cmpp.Append(nil, l.version, seq, d)
	if err != nil {
		l.mu.Unlock()
		l.log.Error().Err(err).Msg("cmpp link: cannot encode DELIVER")
		// The entry cannot be sent on any link: report it at once.
		done(0, err)
		return true
	}
	l.inflight[seq] = &pendingDeliver{frame: frame, sentAt: time.Now(), sends: 1, done: done}
	l.out = append(l.out, frame...)
	l.mu.Unlock()
	l.kick()
	return true
}

// freeSlots is the number of free DELIVER window slots.
func (l *link) freeSlots() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing || l.inflight == nil {
		return 0
	}
	return max(l.srv.cfg.Window-len(l.inflight), 0)
}

// deliverAnswered completes the DELIVER with Sequence_Id seq; false when
// it is not in the window.
func (l *link) deliverAnswered(seq uint32, result uint32) bool {
	l.mu.Lock()
	p, ok := l.inflight[seq]
	if ok {
		delete(l.inflight, seq)
	}
	l.mu.Unlock()
	if ok {
		p.done(result, nil)
	}
	return ok
}

// resendDue writes overdue DELIVERs again and gives up (done with
// errUnanswered) on those already resent ReportResendMax times.
func (l *link) resendDue(now time.Time) {
	after := l.srv.cfg.ReportResendAfter.D()
	maxSends := 1 + l.srv.cfg.ReportResendMax
	var gaveUp []*pendingDeliver
	resent := 0
	l.mu.Lock()
	for seq, p := range l.inflight {
		if now.Sub(p.sentAt) < after {
			continue
		}
		if p.sends >= maxSends {
			delete(l.inflight, seq)
			gaveUp = append(gaveUp, p)
			continue
		}
		p.sends++
		p.sentAt = now
		l.out = append(l.out, p.frame...)
		resent++
	}
	l.mu.Unlock()
	if resent > 0 {
		l.log.Debug().Int("resent", resent).Msg("cmpp link: DELIVERs resent")
	}
	for _, p := range gaveUp {
		p.done(0, errUnanswered)
	}
}

// errTerminated marks a link the server ended with TERMINATE.
var errTerminated = errors.New("terminated by the server")

// terminateWait bounds the wait for TERMINATE_RESP: the spec's T
// (report_resend_after), at most 500 ms so that an account change closes
// links within 1 s even when the client does not answer.
func terminateWait(cfg *Config) time.Duration {
	return min(cfg.ReportResendAfter.D(), 500*time.Millisecond)
}

// startTerminate sends TERMINATE once and closes the link after
// TERMINATE_RESP or terminateWait, on a goroutine owned by the server.
func (l *link) startTerminate(reason string) {
	l.termOnce.Do(func() {
		l.mu.Lock()
		if l.closing {
			l.mu.Unlock()
			return
		}
		l.appendLocked(l.nextSeq(), &cmpp.Terminate{})
		l.mu.Unlock()
		l.kick()
		l.log.Info().Str("reason", reason).Msg("cmpp link: sending TERMINATE")
		l.srv.front.conns.Add(1)
		go func() {
			defer l.srv.front.conns.Done()
			t := time.NewTimer(terminateWait(&l.srv.cfg))
			defer t.Stop()
			select {
			case <-l.termResp:
			case <-t.C:
			case <-l.ctx.Done():
			}
			l.shutdown(errors.Join(errTerminated, errors.New(reason)))
		}()
	})
}
