package cmppserver

import (
	"context"
	"errors"
	"net"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
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

// New checks cfg, registers the metrics and listens on cfg.Addr (so Addr
// is known); it serves nothing until Run.
func New(cfg Config, deps Deps) (*Server, error) {
	return nil, errors.New("cmppserver: not implemented yet")
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Run serves until ctx is done, then stops accepting, answers the SUBMITs
// in hand, sends TERMINATE on every link, returns leased DELIVERs to the
// queue and releases link slots.
func (s *Server) Run(ctx context.Context) error { return errors.New("cmppserver: not implemented yet") }
