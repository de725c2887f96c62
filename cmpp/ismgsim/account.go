package ismgsim

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/smsbridge/smsbridge/cmpp"
)

// account is the run-time state of one SP account: its settings, rate
// limiter, logged-in links, DELIVERs held while it has no link, and the
// reports a CANCEL may still withdraw.
type account struct {
	srv    *Server
	spID   string
	cfg    atomic.Pointer[Account]
	bucket tokenBucket
	stats  *accountStats

	mu      sync.Mutex // guards the fields below; taken after Server.mu, before link.wmu
	links   []*link
	held    []*deliverJob // DELIVERs waiting for a link to log in
	rr      int           // round-robin cursor over links
	removed bool

	pendMu  sync.Mutex                 // leaf lock
	pending map[cmpp.MsgID]*deliverJob // reports not yet sent, by reported Msg_Id
}

// newAccount builds the state of a new account; s.mu must be held for
// writing (or the server not yet started).
func (s *Server) newAccount(a Account) *account {
	acct := &account{srv: s, spID: a.SPID, stats: s.statsLocked(a.SPID), pending: make(map[cmpp.MsgID]*deliverJob)}
	acct.update(a)
	return acct
}

// update applies new settings live.
func (a *account) update(cfg Account) {
	a.cfg.Store(&cfg)
	a.bucket.setRate(cfg.MaxSubmitsPerSec)
}

// linkCount returns the number of logged-in links.
func (a *account) linkCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.links)
}

// attach adds a logged-in link unless the account is gone or at MaxLinks.
// It then hands the held DELIVERs to the new link.
func (a *account) attach(l *link) (ok bool, status uint32) {
	a.mu.Lock()
	if a.removed {
		a.mu.Unlock()
		return false, cmpp.ConnectBadSourceAddr
	}
	if max := a.cfg.Load().MaxLinks; max > 0 && len(a.links) >= max {
		a.mu.Unlock()
		return false, statusTooManyLinks
	}
	a.links = append(a.links, l)
	a.stats.notePeak(len(a.links))
	l.attached = true
	held := a.held
	a.held = nil
	a.mu.Unlock()
	for _, j := range held {
		j.prefer = l
		a.dispatch(j)
	}
	return true, cmpp.ConnectOK
}

// detach removes a link; DELIVERs then go elsewhere.
func (a *account) detach(l *link) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !l.attached {
		return
	}
	l.attached = false
	if i := slices.Index(a.links, l); i >= 0 {
		a.links = slices.Delete(a.links, i, i+1)
	}
}

// remove marks the account removed, drops its held DELIVERs and returns
// its links for the caller to close.
func (a *account) remove() []*link {
	a.mu.Lock()
	a.removed = true
	links := append([]*link(nil), a.links...)
	a.held = nil
	a.mu.Unlock()
	a.pendMu.Lock()
	clear(a.pending)
	a.pendMu.Unlock()
	return links
}

// pickLocked chooses the link for a DELIVER: prefer if it is still
// logged in, else the next one round robin, else nil. a.mu must be held.
func (a *account) pickLocked(prefer *link) *link {
	if prefer != nil && prefer.attached {
		return prefer
	}
	if len(a.links) == 0 {
		return nil
	}
	l := a.links[a.rr%len(a.links)]
	a.rr++
	return l
}

// dispatch hands a DELIVER to a logged-in link of the account, or holds it
// until one logs in.
func (a *account) dispatch(j *deliverJob) {
	for {
		a.mu.Lock()
		if a.removed || a.srv.ctx.Err() != nil {
			a.mu.Unlock()
			j.discard()
			return
		}
		l := a.pickLocked(j.prefer)
		if l == nil {
			a.held = append(a.held, j)
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		if l.enqueue(j) {
			return
		}
		// The link closed between the pick and the enqueue; it has
		// detached (close detaches before refusing jobs), so retry.
		j.prefer = nil
	}
}

// track registers a scheduled report so that CANCEL can withdraw it.
func (a *account) track(j *deliverJob) {
	a.pendMu.Lock()
	a.pending[j.report.MsgID] = j
	a.pendMu.Unlock()
}

// untrack forgets a report once it has been sent.
func (a *account) untrack(j *deliverJob) {
	a.pendMu.Lock()
	if a.pending[j.report.MsgID] == j {
		delete(a.pending, j.report.MsgID)
	}
	a.pendMu.Unlock()
}

// cancel withdraws the report of id if it has not been sent yet.
func (a *account) cancel(id cmpp.MsgID) bool {
	a.pendMu.Lock()
	defer a.pendMu.Unlock()
	j := a.pending[id]
	if j == nil || !j.state.CompareAndSwap(jobWaiting, jobDone) {
		return false
	}
	delete(a.pending, id)
	a.stats.reportsCancelled.Add(1)
	a.stats.reportsPending.Add(-1)
	return true
}

// statusTooManyLinks is the CONNECT_RESP Status for a login beyond
// Account.MaxLinks: 5, the first "other error" code (§3.2).
const statusTooManyLinks = cmpp.ConnectOtherError
