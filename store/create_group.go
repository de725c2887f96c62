package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// DefaultCreateInFlight is the number of CreateRequests calls a
// CreateGroup runs at once when NewCreateGroup is given 0.
const DefaultCreateInFlight = 2

// maxCommitSegments bounds the segments (R×S summed) of one group commit,
// so that a few large requests do not make one long create_many.lua run
// (the script blocks Redis while it runs); a request larger than that is
// committed alone.
const maxCommitSegments = 1000

// createCommitTimeout bounds the Redis work of one group commit (its
// CreateRequests call, read-backs included). It belongs to the group, not
// to any caller: a caller that goes away does not cut short the commit of
// the others, nor of its own request.
const createCommitTimeout = 10 * time.Second

// CreateGroup stores requests of concurrent callers together: a group
// commit. Create has CreateRequest's outcome contract, but the requests
// waiting at the same moment are stored by one CreateRequests call (one
// pipeline round trip and one create_many.lua call per channel instead of
// one round trip and one create.lua per request).
//
// Batching is natural, without a timer: a caller joins the pending batch;
// while fewer than inFlight commits are running, the pending batch is
// committed at once by that caller's goroutine (at low load a request is
// committed immediately, adding no wait). When all inFlight commits are
// busy, callers queue; a commit that ends hands the queued batch (at most
// maxCreateGroup requests and maxCommitSegments segments) to the goroutine
// of its first request, which commits it. So no goroutine runs besides the
// callers' own, and there is nothing to stop.
//
// A CreateGroup is safe for concurrent use. Store.Creates is the store's
// shared one.
type CreateGroup struct {
	st       *Store
	inFlight int

	mu      sync.Mutex
	running int           // commits in flight
	pending []*createCall // waiting for a commit, in arrival order

	// beforeCommit, when set (tests), is called with the requests of each
	// commit before they are sent.
	beforeCommit func(reqs []NewRequest)
}

// createCall is one Create waiting for, or in, a commit.
type createCall struct {
	req NewRequest
	// taken is set (under CreateGroup.mu) when the call joins a commit;
	// leads when its goroutine is told to commit its batch (it then
	// must: the other calls of the batch wait for it).
	taken, leads bool
	// reply receives the call's outcome, or the batch it must commit.
	reply chan createReply
}

// createReply is what a waiting Create is told: its outcome, or that its
// goroutine commits batch lead (which includes it).
type createReply struct {
	err  error
	lead []*createCall
}

// NewCreateGroup returns a group committer storing through st with at
// most inFlight concurrent commits (0: DefaultCreateInFlight).
func NewCreateGroup(st *Store, inFlight int) *CreateGroup {
	if inFlight <= 0 {
		inFlight = DefaultCreateInFlight
	}
	return &CreateGroup{st: st, inFlight: inFlight}
}

// Create stores req as CreateRequest does, with the same outcomes (nil:
// stored; ErrExists; ErrOutcomeUnknown only when the outcome could not be
// learnt, once Redis can no longer store the request; any other error:
// nothing stored, nor will be), sharing the Redis calls with the
// concurrent callers (see CreateGroup). An invalid request gets its
// ErrInvalid at once. A zero req.Deadline is set to CreateDeadline() now,
// when the call joins.
//
// ctx bounds the wait, not the commit: when it ends before the request
// joins a commit, Create returns an ErrUnavailable (nothing was sent); once
// the request is in a commit, Create returns its real outcome, or
// ErrOutcomeUnknown when the commit has not answered by the deadline plus
// ClockSkew (Redis can no longer store it then).
func (g *CreateGroup) Create(ctx context.Context, req NewRequest) error {
	if err := req.validate(g.st.opts); err != nil {
		return err
	}
	if req.Deadline.IsZero() {
		req.Deadline = g.st.CreateDeadline()
	}
	if time.Now().After(req.Deadline) {
		return fmt.Errorf("%w: create request %s: deadline passed before it was sent", ErrUnavailable, req.ID)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: create request %s: not sent: %w", ErrUnavailable, req.ID, err)
	}
	c := &createCall{req: req, reply: make(chan createReply, 1)}
	mine, others := g.join(c)
	for _, b := range others {
		b[0].reply <- createReply{lead: b}
	}
	if mine != nil {
		return g.commit(mine, c)
	}
	select {
	case r := <-c.reply:
		return g.answer(r, c)
	case <-ctx.Done():
	}
	pending, leads := g.leave(c)
	switch {
	case pending:
		return fmt.Errorf("%w: create request %s: not sent: %w", ErrUnavailable, req.ID, ctx.Err())
	case leads:
		// Told to commit its batch: the other calls wait for it.
		return g.answer(<-c.reply, c)
	}
	// In a commit: wait for the real outcome, but not past the time after
	// which Redis can no longer store the request.
	t := time.NewTimer(time.Until(req.Deadline.Add(g.st.opts.ClockSkew)) + time.Millisecond)
	defer t.Stop()
	select {
	case r := <-c.reply:
		return g.answer(r, c)
	case <-t.C:
		return fmt.Errorf("%w: request %s: the group commit has not answered by the deadline: %w", ErrOutcomeUnknown, req.ID, ctx.Err())
	}
}

// answer is the outcome of c given reply r: r's error, or the outcome of
// the batch r tells c to commit.
func (g *CreateGroup) answer(r createReply, c *createCall) error {
	if r.lead != nil {
		return g.commit(r.lead, c)
	}
	return r.err
}

// join queues c and starts the commits there is room for: mine is the
// batch holding c when c's goroutine commits it, others the batches whose
// first call's goroutine must be told to commit them.
func (g *CreateGroup) join(c *createCall) (mine []*createCall, others [][]*createCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, c)
	for g.running < g.inFlight && len(g.pending) > 0 {
		g.running++
		b := g.take()
		if mine == nil && slices.Contains(b, c) {
			mine = b
			continue
		}
		b[0].leads = true
		others = append(others, b)
	}
	return mine, others
}

// leave removes c from the pending calls: pending when it was still
// pending (it will not be sent); otherwise it is in a commit already, and
// leads tells whether its goroutine was told to commit it.
func (g *CreateGroup) leave(c *createCall) (pending, leads bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.taken {
		return false, c.leads
	}
	for i, p := range g.pending {
		if p == c {
			g.pending = slices.Delete(g.pending, i, i+1)
			break
		}
	}
	return true, false
}

// take cuts the next batch from the front of the pending calls (at least
// one; then up to maxCreateGroup calls and maxCommitSegments segments) and
// marks them taken. g.mu is held.
func (g *CreateGroup) take() []*createCall {
	n, segs := 0, 0
	for n < len(g.pending) && n < maxCreateGroup {
		r := &g.pending[n].req
		k := len(r.Recipients) * len(r.Segments)
		if n > 0 && segs+k > maxCommitSegments {
			break
		}
		segs += k
		n++
	}
	b := make([]*createCall, n)
	copy(b, g.pending)
	for _, c := range b {
		c.taken = true
	}
	rest := copy(g.pending, g.pending[n:])
	clear(g.pending[rest:])
	g.pending = g.pending[:rest]
	return b
}

// commit stores batch b (run by self's goroutine; self is in b), hands
// the next pending batch, if any, to its first call, answers the other
// calls of b and returns self's outcome. Should CreateRequests panic (a
// bug), the slot is still handed on and every call of b, self's included,
// is answered ErrOutcomeUnknown (naming the panic) once their deadline plus
// ClockSkew has passed: the requests may have been stored, so a caller
// must say "outcome unknown", not fail as if nothing happened.
func (g *CreateGroup) commit(b []*createCall, self *createCall) (mine error) {
	var errs []error
	defer func() {
		if p := recover(); p != nil {
			errs = g.unknown(b)
			for i := range errs {
				errs[i] = fmt.Errorf("%w (panic: %v)", errs[i], p)
			}
		} else if errs == nil {
			errs = g.unknown(b)
		}
		g.handOn()
		for i, c := range b {
			if c == self {
				mine = errs[i]
				continue
			}
			c.reply <- createReply{err: errs[i]}
		}
	}()
	reqs := make([]NewRequest, len(b))
	for i, c := range b {
		reqs[i] = c.req
	}
	if g.beforeCommit != nil {
		g.beforeCommit(reqs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), createCommitTimeout)
	defer cancel()
	errs = g.st.CreateRequests(ctx, reqs)
	return nil // set by the deferred function
}

// handOn passes the slot of a commit that ended to the next pending
// batch, if any (its first call's goroutine commits it), or frees it.
func (g *CreateGroup) handOn() {
	g.mu.Lock()
	var next []*createCall
	if len(g.pending) > 0 {
		next = g.take()
		next[0].leads = true
	} else {
		g.running--
	}
	g.mu.Unlock()
	if next != nil {
		next[0].reply <- createReply{lead: next}
	}
}

// unknown is the outcome of the calls of a commit that failed without
// answering: ErrOutcomeUnknown, once Redis can no longer store them.
func (g *CreateGroup) unknown(b []*createCall) []error {
	errs := make([]error, len(b))
	var last time.Time
	for i, c := range b {
		last = maxTime(last, c.req.Deadline)
		errs[i] = fmt.Errorf("%w: request %s: the group commit failed", ErrOutcomeUnknown, c.req.ID)
	}
	waitSettled(last.Add(g.st.opts.ClockSkew))
	return errs
}

// maxTime is the later of a and b.
func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
