package cmpp

import (
	"context"
	"net"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// Link is one logged-in SP→ISMG connection (long-connection mode, §9.2).
//
// After Dial it runs exactly one read loop and one writer goroutine, plus
// DeliverWorkers goroutines for DeliverHandler. Requests (Submit, Query,
// Cancel) are safe for concurrent use: each takes one of Window slots
// (waiting in arrival order while all are taken), is registered by
// Sequence_Id, handed to the writer and answered by the read loop. A slot
// freed by a response goes straight to the next waiting request, which the
// read loop registers and hands to the writer itself: a waiting caller is
// woken once, with its result. A request unanswered after ResponseTimeout is resent with the
// same bytes and the same Sequence_Id, Transmissions times in total. When
// the link goes down every pending call fails at once with an error
// wrapping ErrLinkClosed. A Link is never reconnected: dial a new one
// (Sequence_Ids are never matched across connections).
//
// The writer batches: it writes queued frames into one buffer and flushes
// when its queues are empty. ACTIVE_TEST_RESP, DELIVER_RESP and
// TERMINATE_RESP take a priority path that is always served before
// requests, so they never wait behind SUBMIT back-pressure. The keep-alive
// ACTIVE_TEST and the TERMINATE of Close do not take a window slot.
//
// Keep-alive: after IdleInterval without reading any frame the writer
// sends an ACTIVE_TEST; any frame read (not only ACTIVE_TEST_RESP) proves
// the peer alive. After Transmissions consecutive ACTIVE_TESTs each
// unanswered for ResponseTimeout the link is declared dead (cause
// ErrHeartbeatTimeout), at most IdleInterval + N·T after the peer fell
// silent (plus one timer tick, min(T, IdleInterval)/4 capped at 1 s).
//
// DELIVERs are decoded by the read loop and queued (capacity 2·Window, at
// least 32) for DeliverWorkers goroutines; only when that queue is full
// does the read loop wait, which a peer keeping to its own window of 16
// never causes.
type Link struct {
	cfg     LinkConfig
	log     zerolog.Logger
	conn    net.Conn
	version Version // negotiated; layout of every PDU after login

	seq atomic.Uint32 // last Sequence_Id used

	// kick wakes the writer when outbox gains requests (capacity 1: one
	// pending wake-up covers any number of requests).
	kick chan struct{}
	// ctrl is the priority path to the writer: ACTIVE_TEST_RESP,
	// DELIVER_RESP and TERMINATE_RESP, always written before requests.
	ctrl chan ctrlFrame
	// delivers is the bounded queue from the read loop to the DELIVER
	// workers.
	delivers chan delivery

	mu           sync.Mutex
	state        LinkState
	pending      map[uint32]*pending // Sequence_Id → request awaiting its response
	waiting      waitQueue           // windowed requests waiting for a slot, FIFO
	outbox       []*pending          // registered requests not yet taken by the writer, in Sequence_Id order
	peakInFlight int
	registered   atomic.Int32  // windowed requests in pending (slots taken); written under mu
	drained      chan struct{} // closed when closing and pending is empty
	drainedDone  bool
	closing      atomic.Bool // Close has begun: the writer holds nothing back
	err          error       // why the link went down; set once, with state Closed

	done     chan struct{}      // closed when the link is down
	ctx      context.Context    // cancelled when the link is down (handlers)
	cancel   context.CancelFunc // cancels ctx
	running  atomic.Int32       // goroutines not yet exited: read loop, writer, workers
	stopped  chan struct{}      // closed when running reaches 0
	counters linkCounters
	reads    atomic.Uint64 // frames read; the writer watches it for silence

	// delivering counts DELIVERs read and not yet done with (queued or
	// in the handler), in the bits below deliversFrozen; once Close waits
	// for them it sets deliversFrozen, later DELIVERs are not counted, and
	// the worker that brings the count to zero signals deliversIdle (see
	// waitDelivers).
	delivering   atomic.Int64
	deliversIdle chan struct{}

	// resend is the writer's scratch buffer for retransmissions (see
	// retransmit); only the writer goroutine touches it.
	resend []byte
}

// Version returns the negotiated protocol version: the layout the ISMG
// answered CONNECT in. It is the version asked for when the ISMG answered
// in that version's layout. A server may instead answer in the version
// configured for the account (§11.6): a 30-byte CONNECT_RESP means 2.0
// and a 33-byte one 3.0, whatever was asked. The link then adopts the
// answered version for every later PDU it encodes and decodes, and
// Version reports it (V21 when asked for V21 or when the ISMG announced
// 2.1, V20/V30 otherwise).
func (l *Link) Version() Version { return l.version }

// State returns the link's current state.
func (l *Link) State() LinkState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Done returns a channel closed when the link is down.
func (l *Link) Done() <-chan struct{} { return l.done }

// Err returns nil while the link is up, and afterwards an error wrapping
// ErrLinkClosed and the cause of the shutdown.
func (l *Link) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// nextSeq returns the next Sequence_Id; it wraps around and skips 0.
func (l *Link) nextSeq() uint32 {
	for {
		if s := l.seq.Add(1); s != 0 {
			return s
		}
	}
}

// newLink builds a logged-in link around conn and starts its goroutines.
// fr is the frame reader the login used (it may hold bytes read ahead).
func newLink(cfg LinkConfig, conn net.Conn, fr *FrameReader, v Version, seq uint32, log zerolog.Logger) *Link {
	l := &Link{
		cfg:      cfg,
		log:      log,
		conn:     conn,
		version:  v,
		kick:     make(chan struct{}, 1),
		ctrl:     make(chan ctrlFrame, 64),
		delivers: make(chan delivery, max(cfg.Window, 16)*2),
		state:    StateReady,
		pending:  make(map[uint32]*pending, cfg.Window),
		drained:  make(chan struct{}),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	l.seq.Store(seq)
	l.deliversIdle = make(chan struct{}, 1)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.running.Store(int32(2 + cfg.DeliverWorkers))
	go l.readLoop(fr)
	go l.writeLoop()
	for range cfg.DeliverWorkers {
		go l.deliverWorker()
	}
	return l
}

// exit is deferred by each of the link's goroutines; the last one closes
// l.stopped.
func (l *Link) exit() {
	if l.running.Add(-1) == 0 {
		close(l.stopped)
	}
}

// fail takes the link down with cause: the first call wins. It closes the
// socket (which ends the read loop), closes Done (which ends the writer and
// the workers), and fails every pending or waiting call with an error
// wrapping ErrLinkClosed and cause.
func (l *Link) fail(cause error) {
	l.mu.Lock()
	if l.state == StateClosed {
		l.mu.Unlock()
		return
	}
	l.state = StateClosed
	err := &linkError{kind: ErrLinkClosed, cause: cause}
	l.err = err
	pend := l.pending
	l.pending = nil
	l.registered.Store(0)
	waiting := l.takeWaitingLocked()
	l.mu.Unlock()

	close(l.done)
	l.cancel()
	_ = l.conn.Close()
	for _, p := range pend {
		p.ch <- result{err: err}
	}
	failWaiting(waiting, err)
	ev := l.log.Warn()
	if cause == ErrClosedByUser || cause == ErrPeerTerminated {
		ev = l.log.Info()
	}
	ev.Err(cause).Int("failed_calls", len(pend)+len(waiting)).Msg("cmpp link down")
}
