package cmppserver

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

	"github.com/smsbridge/smsbridge/cmpp"
)

// linkConn is the connection side of a link: one read loop (the
// goroutine that accepted it), one writer goroutine, the output buffer
// and the DELIVER window.
type linkConn struct {
	srv  *Server
	conn net.Conn
	// ctx is cancelled when the link starts closing; it stops the writer.
	ctx    context.Context
	cancel context.CancelFunc
	// done is closed after the link is fully down (linkDown ran).
	done chan struct{}
	// writerDone is closed when the writer goroutine returns.
	writerDone chan struct{}
	// wake (capacity 1) tells the writer there is output.
	wake chan struct{}

	// closeReason is the first reason the link went down.
	closeOnce   sync.Once
	closeReason atomic.Pointer[error]

	// ownSeq numbers the server's own requests (DELIVER, ACTIVE_TEST,
	// TERMINATE) on this link.
	ownSeq atomic.Uint32
	// lastRead is when the last frame arrived (unix ns).
	lastRead atomic.Int64

	termOnce sync.Once
	termResp chan struct{} // closed by the read loop at TERMINATE_RESP
	termGot  atomic.Bool

	// secret is the account secret the link logged in with (the registry
	// watch closes the link when it changes).
	secret string

	mu sync.Mutex
	// out holds encoded frames for the writer.
	out []byte
	// final: close after out is written (TERMINATE_RESP sent).
	final bool
	// closing: no more output or DELIVERs.
	closing bool
	// inHand counts SUBMITs handed to the backend not yet answered;
	// inHandIdle, when set, is closed when it reaches 0.
	inHand     int
	inHandIdle chan struct{}
	// inflight is the DELIVER window by Sequence_Id.
	inflight map[uint32]*pendingDeliver
}

// Reasons a link ends besides I/O errors.
var (
	errClientTerminate = errors.New("TERMINATE from the client")
	errLinkClosed      = errors.New("cmppserver: link closed")
	errUnanswered      = errors.New("cmppserver: DELIVER unanswered after every resend")
	errActiveTest      = errors.New("ACTIVE_TEST unanswered")
	errOutputBacklog   = errors.New("client does not read its responses")
	errLoginRefused    = errors.New("login refused")
)

// maxOutBacklog closes a link whose client stops reading.
const maxOutBacklog = 4 << 20

// readBufferSize lets a window of full SUBMITs arrive in one read.
const readBufferSize = 16 << 10

// newLink prepares the connection side of an accepted connection.
func (s *Server) newLink(conn net.Conn) *link {
	ctx, cancel := context.WithCancel(context.Background())
	l := &link{}
	l.srv = s
	l.conn = conn
	l.ctx, l.cancel = ctx, cancel
	l.done = make(chan struct{})
	l.writerDone = make(chan struct{})
	l.wake = make(chan struct{}, 1)
	l.termResp = make(chan struct{})
	l.inflight = make(map[uint32]*pendingDeliver)
	l.id = fmt.Sprintf("%s-%d", s.deps.ReplicaID, s.front.linkSeq.Add(1))
	l.log = s.deps.Logger.With().Str("link_id", l.id).Str("remote", conn.RemoteAddr().String()).Logger()
	l.lastRead.Store(time.Now().UnixNano())
	return l
}

// serveConn runs one accepted connection to its end: login, the writer,
// the read loop, and the cleanup. It runs on its own goroutine.
func (s *Server) serveConn(conn net.Conn) {
	l := s.newLink(conn)
	loggedIn := false
	defer func() {
		if r := recover(); r != nil {
			l.log.Error().Interface("panic", r).Msg("cmpp link: panic in the read loop; closing the link")
			l.shutdown(fmt.Errorf("panic: %v", r))
			if loggedIn {
				l.finish()
			} else {
				l.cleanupUnlogged()
			}
		}
	}()
	fr := cmpp.NewFrameReader(bufio.NewReaderSize(conn, readBufferSize), cmpp.MaxFrameLen)
	if !l.login(fr) {
		l.cleanupUnlogged()
		return
	}
	loggedIn = true
	err := l.readLoop(fr)
	l.shutdown(err)
	l.finish()
}

// shutdown starts closing the link once: it records why, stops the
// writer and unblocks the read loop. Safe from any goroutine.
func (l *link) shutdown(reason error) {
	l.closeOnce.Do(func() {
		if reason == nil {
			reason = errLinkClosed
		}
		l.closeReason.Store(&reason)
		l.mu.Lock()
		l.closing = true
		l.mu.Unlock()
		l.cancel()
		_ = l.conn.Close()
	})
}

// reason returns why the link closed.
func (l *link) reason() error {
	if p := l.closeReason.Load(); p != nil {
		return *p
	}
	return errLinkClosed
}

// finish runs on the read loop after shutdown: it waits for the writer,
// fails the DELIVERs in flight, and tells the backend and the store.
func (l *link) finish() {
	<-l.writerDone
	l.mu.Lock()
	pend := l.inflight
	l.inflight = nil
	l.out = nil
	l.mu.Unlock()
	for _, p := range pend {
		p.done(0, errLinkClosed)
	}
	s := l.srv
	s.front.removeLink(l)
	s.linkDown(l)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := s.deps.Store.ReleaseLinkSlot(ctx, slotScope(l.account), l.id); err != nil {
		l.log.Warn().Err(err).Msg("cmpp link: releasing the link slot failed (it expires with its lease)")
	}
	cancel()
	err := l.reason()
	ev := l.log.Info()
	if !quietClose(err) {
		ev = l.log.Warn()
	}
	ev.Str("reason", err.Error()).Int("delivers_in_flight", len(pend)).Msg("cmpp link closed")
	close(l.done)
}

// cleanupUnlogged ends a connection whose login failed (the CONNECT_RESP,
// if any, was written by login).
func (l *link) cleanupUnlogged() {
	l.shutdown(errLoginRefused)
	close(l.writerDone)
	close(l.done)
}

// quietClose tells ordinary ends of a link from trouble worth a warning.
func quietClose(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, errClientTerminate) || errors.Is(err, errTerminated) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, errLinkClosed)
}

// slotScope is the link-slot scope of a CMPP account.
func slotScope(account string) string { return "cmpp:" + account }
