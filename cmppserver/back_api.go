package cmppserver

import (
	"context"

	"github.com/smsbridge/smsbridge/cmpp"
)

// The backend implements these; the connection layer calls them.

// startBackend starts the submit batcher, the wake-up subscription and
// the report pumps; they stop when ctx is done.
func (s *Server) startBackend(ctx context.Context) error { return nil }

// stopBackend waits until every SUBMIT in hand is answered (or ctx is
// done) and the pumps have returned their leased entries.
func (s *Server) stopBackend(ctx context.Context) {}

// onSubmit handles a SUBMIT from l; it answers through l.respond, maybe
// later (group commit). It must not block the read loop for long.
func (s *Server) onSubmit(l *link, seq uint32, p *cmpp.Submit) {}

// onQuery answers a QUERY from the account's usage counters.
func (s *Server) onQuery(l *link, seq uint32, q *cmpp.Query) {}

// onCancel answers a CANCEL of a segment not yet sent.
func (s *Server) onCancel(l *link, seq uint32, c *cmpp.Cancel) {}

// linkUp is called after CONNECT_RESP Status 0: the account's pump starts
// delivering over l.
func (s *Server) linkUp(l *link) {}

// linkDown is called once l is closed (after every deliver done ran).
func (s *Server) linkDown(l *link) {}
