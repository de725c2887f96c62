package cmppserver

import (
	"context"
	"fmt"

	"github.com/smsbridge/smsbridge/cmpp"
)

// The backend implements these; the connection layer calls them.

// startBackend starts the submit batcher, the wake-up subscription and
// the report pumps; they stop when ctx is done.
func (s *Server) startBackend(ctx context.Context) error {
	b := &s.back
	m, err := newBackMetrics(s.registerer())
	if err != nil {
		return fmt.Errorf("cmppserver: metrics: %w", err)
	}
	b.m = m
	ctx, b.cancel = context.WithCancel(ctx)
	b.ctx = ctx
	b.ids = newMsgIDAlloc(s.deps.Store, s.cfg.GatewayID)
	b.queue = make(chan *submitItem, submitQueueLen(s.cfg))
	b.pumps = make(map[string]*pump)
	b.hardStop = make(chan struct{})
	b.batcher.Add(1)
	go s.runBatcher()
	b.loops.Add(2)
	go s.runWakeSubscriber(ctx)
	go s.runWaitingSampler(ctx)
	return nil
}

// stopBackend waits until every SUBMIT in hand is answered (or ctx is
// done) and the pumps have returned their leased entries.
func (s *Server) stopBackend(ctx context.Context) {
	b := &s.back
	if b.queue == nil {
		return // never started
	}
	b.qmu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.queue)
	}
	b.qmu.Unlock()
	done := make(chan struct{})
	go func() {
		b.batcher.Wait()
		b.control.Wait()
		b.mu.Lock()
		b.pumpsStopped = true
		b.mu.Unlock()
		b.cancel()
		b.loops.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		close(b.hardStop)
		<-done
	}
	b.cancel()
}

// onSubmit handles a SUBMIT from l; it answers through l.respond, maybe
// later (group commit). It must not block the read loop for long.
func (s *Server) onSubmit(l *link, seq uint32, p *cmpp.Submit) {
	s.submit(l, seq, p)
}

// onQuery answers a QUERY from the account's usage counters.
func (s *Server) onQuery(l *link, seq uint32, q *cmpp.Query) { s.query(l, seq, q) }

// onCancel answers a CANCEL of a segment not yet sent.
func (s *Server) onCancel(l *link, seq uint32, c *cmpp.Cancel) { s.cancel(l, seq, c) }

// linkUp is called after CONNECT_RESP Status 0: the account's pump starts
// delivering over l.
func (s *Server) linkUp(l *link) { s.pumpLinkUp(l) }

// linkDown is called once l is closed (after every deliver done ran).
func (s *Server) linkDown(l *link) { s.pumpLinkDown(l) }
