package cmppserver

import (
	"bufio"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// writeTimeout bounds one write to the client.
const writeTimeout = 10 * time.Second

// queueResponse encodes p after the output and wakes the writer.
func (l *link) queueResponse(seq uint32, p cmpp.PDU) {
	l.mu.Lock()
	if _, ok := p.(*cmpp.SubmitResp); ok && l.inHand > 0 {
		l.inHand--
		if l.inHand == 0 && l.inHandIdle != nil {
			close(l.inHandIdle)
			l.inHandIdle = nil
		}
	}
	if l.closing {
		l.mu.Unlock()
		return
	}
	l.appendLocked(seq, p)
	l.mu.Unlock()
	l.kick()
}

// appendLocked encodes p after the output (l.mu held). An encoding error
// is a bug in the caller's PDU: it is logged and the PDU dropped.
func (l *link) appendLocked(seq uint32, p cmpp.PDU) {
	out, err := cmpp.Append(l.out, l.version, seq, p)
	if err != nil {
		l.log.Error().Err(err).Stringer("command", p.CommandID()).Uint32("seq", seq).Msg("cmpp link: cannot encode PDU")
		return
	}
	l.out = out
}

// kick wakes the writer.
func (l *link) kick() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// nextSeq returns a fresh Sequence_Id for a server request (never 0).
func (l *link) nextSeq() uint32 {
	for {
		if s := l.ownSeq.Add(1); s != 0 {
			return s
		}
	}
}

// writeLoop is the link's writer: it writes what is queued in batches
// (one write per wake-up) and runs the resend and ACTIVE_TEST timers.
func (l *link) writeLoop(tick time.Duration) {
	defer close(l.writerDone)
	bw := bufio.NewWriterSize(l.conn, 32<<10)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	var ka keepalive
	var spare []byte
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-l.wake:
		case now := <-ticker.C:
			if err := l.onTick(now, &ka); err != nil {
				l.shutdown(err)
				return
			}
		}
		l.mu.Lock()
		buf, final := l.out, l.final
		l.out = spare[:0]
		if len(buf) > maxOutBacklog {
			l.mu.Unlock()
			l.shutdown(errOutputBacklog)
			return
		}
		l.mu.Unlock()
		if len(buf) > 0 {
			_ = l.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			_, err := bw.Write(buf)
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				l.shutdown(err)
				return
			}
		}
		spare = buf
		if final {
			l.mu.Lock()
			empty := len(l.out) == 0
			l.mu.Unlock()
			if empty {
				return
			}
			l.kick()
		}
	}
}

// keepalive is the writer's ACTIVE_TEST state.
type keepalive struct {
	probes  int       // sent since the last frame arrived
	probeAt time.Time // when the last one was sent
}

// onTick resends overdue DELIVERs, gives up on those resent N times, and
// probes an idle link with ACTIVE_TEST (closing it after
// ActiveTestMissed unanswered).
func (l *link) onTick(now time.Time, ka *keepalive) error {
	l.resendDue(now)
	cfg := &l.srv.cfg
	interval := cfg.ActiveTestInterval.D()
	last := time.Unix(0, l.lastRead.Load())
	if last.After(ka.probeAt) {
		ka.probes = 0
	}
	if now.Sub(last) < interval || now.Sub(ka.probeAt) < interval {
		return nil
	}
	if ka.probes >= cfg.ActiveTestMissed {
		l.log.Warn().Int("probes", ka.probes).Msg("cmpp link: ACTIVE_TEST unanswered; closing")
		return errActiveTest
	}
	l.mu.Lock()
	if !l.closing {
		l.appendLocked(l.nextSeq(), &cmpp.ActiveTest{})
	}
	l.mu.Unlock()
	ka.probes++
	ka.probeAt = now
	return nil
}

// writerTick is how often the writer checks its timers.
func writerTick(cfg *Config) time.Duration {
	d := min(cfg.ReportResendAfter.D(), cfg.ActiveTestInterval.D()) / 4
	return max(min(d, time.Second), 5*time.Millisecond)
}
