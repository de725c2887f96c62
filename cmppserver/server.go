package cmppserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/routing"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Registry is what the server reads accounts from (*registry.Registry).
type Registry interface {
	Snapshot() *registry.Snapshot
	Changed() <-chan struct{}
}

// Deps are the parts the server uses.
type Deps struct {
	Store    *store.Store
	Registry Registry
	Metrics  *metrics.Metrics
	Logger   zerolog.Logger
	// ReplicaID is unique per process: link ids and lease owners start
	// with it.
	ReplicaID string
	// Wake, when set, is told when SUBMITs were queued on a channel, so
	// the channel's sender starts at once (nil: it finds them at its poll).
	Wake *wake.Hub
	// Router picks each destination's channel (the tenant's routes by
	// carrier). nil: a Router on Registry without carrier lookup nor
	// failover.
	Router *routing.Router
}

// Server is the CMPP server for customers.
type Server struct {
	cfg  Config
	deps Deps
	ln   net.Listener
	// front holds the listener side: links, logins (front.go).
	front front
	// back holds SUBMIT storage, report delivery and control (back.go).
	back back
}

// shutdownTimeout bounds Run's shutdown (answers in hand, TERMINATEs).
const shutdownTimeout = 10 * time.Second

// New checks cfg, registers the metrics and listens on cfg.Addr (so Addr
// is known); it serves nothing until Run.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg.FillDefaults()
	if err := cfg.Validate("cmpp_server"); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, errors.New("cmppserver: cmpp_server.addr is empty")
	}
	if deps.Store == nil || deps.Registry == nil {
		return nil, errors.New("cmppserver: Store and Registry are required")
	}
	if deps.Router == nil {
		deps.Router = routing.New(routing.Deps{Snapshot: deps.Registry.Snapshot})
	}
	if deps.ReplicaID == "" {
		return nil, errors.New("cmppserver: ReplicaID is required")
	}
	tlsCfg, err := cfg.loadTLS()
	if err != nil {
		return nil, fmt.Errorf("cmpp_server.tls_cert_file: %w", err)
	}
	deps.Logger = deps.Logger.With().Str("component", "cmppserver").Logger()
	s := &Server{cfg: cfg, deps: deps}
	s.front.links = make(map[string]map[*link]struct{})
	if deps.Metrics != nil {
		err = s.front.registerFrontMetrics(deps.Metrics.Registry)
	} else {
		err = s.front.registerFrontMetrics(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("cmppserver: metrics: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("cmppserver: listen %s: %w", cfg.Addr, err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.ln = ln
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Run serves until ctx is done, then stops accepting, answers the SUBMITs
// in hand, sends TERMINATE on every link, returns leased DELIVERs to the
// queue and releases link slots.
func (s *Server) Run(ctx context.Context) error {
	bctx, stopBack := context.WithCancel(context.Background())
	defer stopBack()
	if err := s.startBackend(bctx); err != nil {
		_ = s.ln.Close()
		return fmt.Errorf("cmppserver: backend: %w", err)
	}
	wctx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{}, 2)
	go func() { s.renewLoop(wctx); watchDone <- struct{}{} }()
	go func() { s.watchRegistry(wctx); watchDone <- struct{}{} }()

	acceptErr := make(chan error, 1)
	go func() { acceptErr <- s.acceptLoop() }()
	s.deps.Logger.Info().Str("addr", s.Addr().String()).Msg("cmpp server listening")

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-acceptErr:
		s.deps.Logger.Error().Err(runErr).Msg("cmpp server: accept failed")
	}
	// 1. Stop accepting; 2. stop taking new SUBMITs (Result 8) and logins.
	_ = s.ln.Close()
	if runErr == nil {
		<-acceptErr
	}
	s.front.mu.Lock()
	s.front.draining = true
	s.front.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// 3. Answer the SUBMITs in hand, return leased DELIVERs.
	s.stopBackend(sctx)
	// 4. TERMINATE every link; each one's cleanup calls linkDown and
	// releases its slot.
	stopWatch()
	<-watchDone
	<-watchDone
	for _, l := range s.front.allLinks() {
		l.terminate("server shutting down")
	}
	waited := make(chan struct{})
	go func() { s.front.conns.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-sctx.Done():
		for _, l := range s.front.allLinks() {
			l.shutdown(errLinkClosed)
		}
		<-waited
	}
	stopBack()
	s.deps.Logger.Info().Msg("cmpp server stopped")
	return runErr
}

// acceptLoop accepts connections until the listener closes.
func (s *Server) acceptLoop() error {
	var backoff time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.deps.Logger.Warn().Err(err).Dur("backoff", backoff).Msg("cmpp server: accept")
				time.Sleep(backoff) // accept back-off, not synchronisation
				continue
			}
			return err
		}
		backoff = 0
		s.front.conns.Add(1)
		go func() {
			defer s.front.conns.Done()
			s.serveConn(conn)
		}()
	}
}
