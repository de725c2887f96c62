package ismgsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Server is a running ISMG simulator. Create it with NewServer; all
// methods are safe for concurrent use.
type Server struct {
	cfg     Config
	log     zerolog.Logger
	ln      net.Listener
	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup // every goroutine the server owns
	closing sync.Once

	faults      atomic.Pointer[Faults]
	closerReset chan struct{} // wakes runLinkCloser when CloseLinksEvery changes

	sched    *scheduler
	ids      msgIDGen
	smscSeq  atomic.Uint32 // report SMSC_sequence
	linkSeq  atomic.Uint64 // link numbers
	received receivedLog
	statMix  statPicker

	mu        sync.RWMutex // guards the maps below; taken before any account.mu
	accounts  map[string]*account
	statsBySP map[string]*accountStats
	links     map[*link]struct{} // every open connection, logged in or not
	closed    bool
}

// NewServer validates cfg, listens on cfg.Addr at once and serves in the
// background until Close.
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("ismgsim: listen %s: %w", cfg.Addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:         cfg,
		log:         cfg.Logger.With().Str("component", "ismgsim").Logger(),
		ln:          ln,
		ctx:         ctx,
		cancel:      cancel,
		closerReset: make(chan struct{}, 1),
		sched:       newScheduler(),
		ids:         msgIDGen{gateway: cfg.GatewayID},
		received:    receivedLog{max: cfg.MaxReceived},
		statMix:     newStatPicker(cfg.StatMix),
		accounts:    make(map[string]*account),
		statsBySP:   make(map[string]*accountStats),
		links:       make(map[*link]struct{}),
	}
	s.faults.Store(&Faults{})
	for _, a := range cfg.Accounts {
		s.accounts[a.SPID] = s.newAccount(a)
	}
	s.wg.Add(3)
	go s.acceptLoop()
	go func() {
		defer s.wg.Done()
		s.sched.run(s.ctx)
	}()
	go s.runLinkCloser()
	s.log.Info().Str("addr", ln.Addr().String()).Uint32("gateway_id", cfg.GatewayID).
		Int("accounts", len(cfg.Accounts)).Msg("ISMG simulator listening")
	return s, nil
}

// Addr returns the address the server listens on (host:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the listener and every link and waits for all the server's
// goroutines. Scheduled reports and queued DELIVERs are discarded. It is
// safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closing.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		if e := s.ln.Close(); e != nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
		s.closeAllLinks(errServerClosed)
		s.wg.Wait()
		s.log.Info().Msg("ISMG simulator closed")
	})
	return err
}

// acceptLoop accepts connections until the listener is closed.
func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failure (e.g. too many open files): back off.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn().Err(err).Dur("backoff", backoff).Msg("accept failed")
			t := time.NewTimer(backoff)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		s.startLink(conn)
	}
}

// startLink registers a new connection and starts its two goroutines.
func (s *Server) startLink(conn net.Conn) {
	if s.cfg.wrapConn != nil {
		conn = s.cfg.wrapConn(conn)
	}
	l := newLink(s, conn)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.links[l] = struct{}{}
	s.wg.Add(2)
	s.mu.Unlock()
	l.log().Debug().Msg("connection accepted")
	go l.readLoop()
	go l.writeLoop()
}

// forgetLink removes a closed link from the server's set.
func (s *Server) forgetLink(l *link) {
	s.mu.Lock()
	delete(s.links, l)
	s.mu.Unlock()
}

// closeAllLinks closes every open connection and returns how many.
func (s *Server) closeAllLinks(reason error) int {
	s.mu.RLock()
	all := make([]*link, 0, len(s.links))
	for l := range s.links {
		all = append(all, l)
	}
	s.mu.RUnlock()
	for _, l := range all {
		l.close(reason)
	}
	return len(all)
}

// kickLinks makes every link send what its DELIVER window allows (after
// Faults.Silent is cleared).
func (s *Server) kickLinks() {
	s.mu.RLock()
	all := make([]*link, 0, len(s.links))
	for l := range s.links {
		all = append(all, l)
	}
	s.mu.RUnlock()
	for _, l := range all {
		l.pump()
	}
}

// account returns the account of spID, or nil.
func (s *Server) account(spID string) *account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.accounts[spID]
}

// AddAccount adds an account at run time. It fails with ErrAccountExists
// for a known SP_Id and ErrInvalidAccount for bad fields.
func (s *Server) AddAccount(a Account) error {
	if err := a.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.accounts[a.SPID] != nil {
		return fmt.Errorf("%w: %q", ErrAccountExists, a.SPID)
	}
	s.accounts[a.SPID] = s.newAccount(a)
	s.log.Info().Str("sp_id", a.SPID).Msg("account added")
	return nil
}

// UpdateAccount replaces the settings of an existing account live: the
// rate, link cap, Src_Id prefix, version and secret apply to the next
// SUBMIT or login; links already logged in stay up.
func (s *Server) UpdateAccount(a Account) error {
	if err := a.validate(); err != nil {
		return err
	}
	acct := s.account(a.SPID)
	if acct == nil {
		return fmt.Errorf("%w: %q", ErrUnknownAccount, a.SPID)
	}
	acct.update(a)
	s.log.Info().Str("sp_id", a.SPID).Msg("account updated")
	return nil
}

// RemoveAccount removes an account and closes its links. Its scheduled
// reports and held DELIVERs are discarded; its counters stay in Counts.
func (s *Server) RemoveAccount(spID string) error {
	s.mu.Lock()
	acct := s.accounts[spID]
	delete(s.accounts, spID)
	s.mu.Unlock()
	if acct == nil {
		return fmt.Errorf("%w: %q", ErrUnknownAccount, spID)
	}
	links := acct.remove()
	for _, l := range links {
		l.close(errAccountRemoved)
	}
	s.log.Info().Str("sp_id", spID).Int("links_closed", len(links)).Msg("account removed")
	return nil
}

// Accounts returns the accounts, sorted by SP_Id (secrets included).
func (s *Server) Accounts() []Account {
	s.mu.RLock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, *a.cfg.Load())
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Account) int {
		switch {
		case a.SPID < b.SPID:
			return -1
		case a.SPID > b.SPID:
			return 1
		}
		return 0
	})
	return out
}

// Links returns the number of logged-in links of spID.
func (s *Server) Links(spID string) int {
	if a := s.account(spID); a != nil {
		return a.linkCount()
	}
	return 0
}

// Received returns a copy of the recorded segments, oldest first (one
// entry per SUBMIT per recipient, at most Config.MaxReceived).
func (s *Server) Received() []ReceivedSegment { return s.received.snapshot("", 0) }

// ReceivedFor returns the recorded segments of spID ("" = all), oldest
// first, at most the last limit of them (limit ≤ 0 = all).
func (s *Server) ReceivedFor(spID string, limit int) []ReceivedSegment {
	return s.received.snapshot(spID, limit)
}

// ResetReceived forgets every recorded segment.
func (s *Server) ResetReceived() { s.received.reset() }

// Reasons a link is closed, logged and returned by nothing else.
var (
	errServerClosed   = errors.New("server closed")
	errAccountRemoved = errors.New("account removed")
	errFaultClose     = errors.New("fault: CloseLinksEvery")
)
