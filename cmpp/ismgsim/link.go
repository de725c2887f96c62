package ismgsim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
)

// session is what a successful login fixes for a link.
type session struct {
	acct    *account
	version cmpp.Version // requested in CONNECT; decides every layout on the link
	log     zerolog.Logger
}

// link is one TCP connection from an SP. It has exactly two goroutines,
// both owned by the Server: readLoop (decode and handle PDUs) and
// writeLoop (flush output, run the DELIVER resend and ACTIVE_TEST timers).
type link struct {
	srv       *Server
	id        uint64
	conn      net.Conn
	baseLog   zerolog.Logger
	ctx       context.Context // cancelled by close
	cancel    context.CancelFunc
	closeOnce sync.Once

	sess     atomic.Pointer[session] // nil until logged in
	attached bool                    // in sess.acct.links; guarded by the account's mu

	out           outQueue
	ownSeq        atomic.Uint32 // Sequence_Ids of the simulator's own requests
	activity      atomic.Bool   // a frame arrived since the writer last looked
	probeAnswered atomic.Bool   // an ACTIVE_TEST_RESP arrived

	// DELIVER window, guarded by wmu.
	wmu            sync.Mutex
	inflight       []inflightDeliver
	backlog        jobQueue
	ready          bool // CONNECT_RESP queued: DELIVERs may follow
	closed         bool
	scratchDeliver cmpp.Deliver
	scratchContent []byte

	// Owned by the read loop.
	submit      cmpp.Submit
	submitResp  cmpp.SubmitResp
	deliverResp cmpp.DeliverResp

	// Owned by the writer.
	lastActivity time.Time
	probeOut     bool
	probeSends   int
	probeAt      time.Time
}

func newLink(s *Server, conn net.Conn) *link {
	ctx, cancel := context.WithCancel(s.ctx)
	l := &link{
		srv:          s,
		id:           s.linkSeq.Add(1),
		conn:         conn,
		ctx:          ctx,
		cancel:       cancel,
		lastActivity: time.Now(),
	}
	l.baseLog = s.log.With().Uint64("link", l.id).Str("remote", conn.RemoteAddr().String()).Logger()
	l.out.init(s.cfg.outHighWater)
	return l
}

// session returns the login session, or nil before login.
func (l *link) session() *session { return l.sess.Load() }

// log returns the link's logger, with sp_id once logged in.
func (l *link) log() *zerolog.Logger {
	if s := l.sess.Load(); s != nil {
		return &s.log
	}
	return &l.baseLog
}

// nextSeq returns the next Sequence_Id for the simulator's own requests.
func (l *link) nextSeq() uint32 { return l.ownSeq.Add(1) }

// close tears the link down once: it stops both goroutines, detaches from
// the account and moves unanswered and queued DELIVERs to another link of
// the account (or holds them).
func (l *link) close(reason error) {
	l.closeOnce.Do(func() {
		l.cancel()
		_ = l.conn.Close()
		l.out.close()
		sess := l.session()
		if sess != nil {
			sess.acct.detach(l)
		}
		jobs := l.drainJobs()
		for _, j := range jobs {
			j.prefer = nil
			if sess == nil || l.srv.ctx.Err() != nil {
				j.discard()
				continue
			}
			sess.acct.dispatch(j)
		}
		l.srv.forgetLink(l)
		ev := l.log().Info()
		if !isQuietClose(reason) {
			ev = l.log().Warn()
		}
		ev.Str("reason", reason.Error()).Int("requeued", len(jobs)).Msg("link closed")
	})
}

// isQuietClose tells ordinary ends of a link from trouble worth a warning.
func isQuietClose(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, errTerminated) || errors.Is(err, errServerClosed) ||
		errors.Is(err, errAccountRemoved) || errors.Is(err, errFaultClose) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, errLoginFailed) || errors.Is(err, errGraceful)
}

// Reasons a link ends (besides I/O errors).
var (
	errTerminated       = errors.New("TERMINATE from the SP")
	errLoginFailed      = errors.New("login refused")
	errNoActiveTestResp = errors.New("ACTIVE_TEST unanswered after all transmissions")
	errGraceful         = errors.New("closing after the last response")
)

// readBufferSize is the read loop's buffer.
const readBufferSize = 16 << 10

// readLoop reads and handles frames until the link ends.
func (l *link) readLoop() {
	defer l.srv.wg.Done()
	// A window of 16 full SUBMITs (~5.4 KB) fits one read of this buffer,
	// so it is answered in one batch (NewFrameReader keeps a bufio.Reader
	// of at least its own default size).
	err := l.serve(cmpp.NewFrameReader(bufio.NewReaderSize(l.conn, readBufferSize), cmpp.MaxFrameLen))
	if errors.Is(err, errGraceful) {
		l.out.finish(err) // the writer flushes the last response and closes
		return
	}
	if l.ctx.Err() == nil {
		l.close(err)
	}
}

// serve runs the login and then the PDU loop; it returns why it stopped.
// Responses are written in batches: after each frame, the output becomes
// due only when no further whole frame is already buffered (so the
// responses to requests that arrived together leave in one write).
func (l *link) serve(fr *cmpp.FrameReader) error {
	_ = l.conn.SetReadDeadline(time.Now().Add(l.srv.cfg.ResponseTimeout))
	for {
		frame, err := fr.ReadFrame()
		if err != nil {
			return frameError("reading CONNECT", err)
		}
		if l.srv.faults.Load().Silent {
			continue // a dead peer never answers the login
		}
		err = l.login(frame)
		if werr := l.writeDue(); werr != nil {
			return werr
		}
		if err != nil {
			return err
		}
		break
	}
	_ = l.conn.SetReadDeadline(time.Time{})
	for {
		frame, err := fr.ReadFrame()
		if err != nil {
			return frameError("reading", err)
		}
		if !l.activity.Load() {
			l.activity.Store(true)
		}
		if l.srv.faults.Load().Silent {
			continue
		}
		err = l.handle(frame)
		if hook := l.srv.cfg.afterHandle; hook != nil {
			hook()
		}
		if !fr.FrameBuffered() {
			if werr := l.writeDue(); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
	}
}

// writeDue writes the output queued so far from the read loop itself, or
// leaves it due to the writer goroutine while that one is writing.
func (l *link) writeDue() error {
	buf := l.out.takeDue()
	if buf == nil {
		return nil
	}
	_ = l.conn.SetWriteDeadline(time.Now().Add(l.srv.cfg.ResponseTimeout))
	_, err := l.conn.Write(buf)
	if l.out.written(buf) {
		l.out.signal()
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// frameError wraps a read error, logging framing errors as malformed input.
func frameError(what string, err error) error {
	if errors.Is(err, io.EOF) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// writeLoop writes the output queue (all that is queued, in one write)
// when it is due (see urgency) or has been held Config.FlushDelay, and runs
// the link's timers; a tick writes whatever is queued.
func (l *link) writeLoop() {
	defer l.srv.wg.Done()
	ticker := time.NewTicker(l.srv.tickInterval())
	defer ticker.Stop()
	hold := time.NewTimer(time.Hour)
	hold.Stop()
	defer hold.Stop()
	var holding <-chan time.Time // hold.C while output is held, else nil
	delay := l.srv.cfg.FlushDelay
	for {
		force := delay <= 0
		select {
		case <-l.ctx.Done():
			return
		case <-l.out.wake:
		case <-holding:
			holding, force = nil, true
		case now := <-ticker.C:
			if !l.onTick(now) {
				return
			}
			force = true
		}
		buf, finish, held := l.out.take(force)
		if held {
			if holding == nil {
				hold.Reset(delay)
				holding = hold.C
			}
			continue
		}
		if holding != nil {
			hold.Stop()
			holding = nil
		}
		if len(buf) > 0 {
			_ = l.conn.SetWriteDeadline(time.Now().Add(l.srv.cfg.ResponseTimeout))
			_, err := l.conn.Write(buf)
			if l.out.written(buf) {
				l.out.signal()
			}
			if err != nil {
				l.close(fmt.Errorf("write: %w", err))
				return
			}
		}
		if finish != nil {
			l.close(finish)
			return
		}
	}
}

// tickInterval is how often each link's writer checks its timers.
func (s *Server) tickInterval() time.Duration {
	d := s.cfg.ResponseTimeout
	if a := s.cfg.ActiveTestInterval; a > 0 && a < d {
		d = a
	}
	return min(max(d/4, 5*time.Millisecond), time.Second)
}

// onTick runs the link's timers: DELIVER resends and the ACTIVE_TEST
// keep-alive. It returns false when it closed the link.
func (l *link) onTick(now time.Time) bool {
	sess := l.session()
	if sess == nil || l.srv.faults.Load().Silent {
		return true
	}
	l.resendDue(now)
	if l.activity.Load() {
		l.activity.Store(false)
		l.lastActivity = now
	}
	if l.probeAnswered.Swap(false) {
		l.probeOut, l.probeSends = false, 0
	}
	interval := l.srv.cfg.ActiveTestInterval
	if interval < 0 {
		return true
	}
	switch {
	case l.probeOut && now.Sub(l.probeAt) >= l.srv.cfg.ResponseTimeout:
		if l.probeSends >= l.srv.cfg.Transmissions {
			l.close(errNoActiveTestResp)
			return false
		}
	case !l.probeOut && now.Sub(l.lastActivity) >= interval:
	default:
		return true
	}
	seq := l.nextSeq()
	if err := l.out.append(sess.version, seq, activeTest, outMayHold); err != nil { // the tick writes it
		return true // closing
	}
	l.probeOut = true
	l.probeSends++
	l.probeAt = now
	sess.log.Debug().Uint32("seq", seq).Int("sends", l.probeSends).Msg("ACTIVE_TEST sent")
	return true
}

// Shared, read-only PDUs without fields.
var (
	activeTest     = &cmpp.ActiveTest{}
	activeTestResp = &cmpp.ActiveTestResp{}
	terminateResp  = &cmpp.TerminateResp{}
)
