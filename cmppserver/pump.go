package cmppserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store"
)

// Report and MO delivery. Each account with links on this replica has one
// pump goroutine (started by the first linkUp, stopped by the last
// linkDown or the backend's context). It wakes on the account's pub/sub
// wake-up (one subscription per replica, runWakeSubscriber), on a DELIVER
// answer, or every ReportPoll; it leases entries from the account's queue
// in every channel with data, up to the free DELIVER window of its links,
// and hands them to the links round robin. Answers are acknowledged (or
// released) in batches: one store call per channel per pass.

// pumpTimeout bounds one store call of a pump.
const pumpTimeout = 5 * time.Second

// maxLease is the most entries one LeaseCMPPDelivers call may take.
const maxLease = 1000

// sampleEvery is how often the delivers_waiting gauge is sampled.
const sampleEvery = 5 * time.Second

// pump is one account's delivery loop on this replica.
type pump struct {
	account string
	ctx     context.Context
	cancel  context.CancelFunc
	// links are the account's links here (guarded by back.mu).
	links []*link
	// wake is signalled (never blocking) when there may be work.
	wake chan struct{}

	mu sync.Mutex
	// results are answered (or failed) DELIVERs not yet acked/released.
	results []deliverResult
	// outstanding counts DELIVERs handed to links whose done has not run.
	outstanding int
	// rr is the round-robin position among links.
	rr int
	// exited is set once the loop returned: results are then recorded by
	// the done callbacks themselves.
	exited bool
	srv    *Server
}

// deliverResult is the outcome of one DELIVER.
type deliverResult struct {
	channel, id, kind string
	// ack: answered by DELIVER_RESP (any Result); else release it.
	ack  bool
	took time.Duration
}

// signal wakes the pump without blocking.
func (p *pump) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// leaseFor is how long a leased entry stays with this replica: every
// resend of one link, plus a margin; a dead replica's entries come back
// after it.
func (s *Server) leaseFor() time.Duration {
	return s.cfg.ReportResendAfter.D()*time.Duration(s.cfg.ReportResendMax+1) + 5*time.Second
}

// pumpLinkUp adds l to its account's pump, starting the pump if needed.
func (s *Server) pumpLinkUp(l *link) {
	b := &s.back
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil || b.ctx.Err() != nil || b.pumpsStopped {
		return
	}
	p := b.pumps[l.account]
	if p == nil {
		ctx, cancel := context.WithCancel(b.ctx)
		p = &pump{account: l.account, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), srv: s}
		b.pumps[l.account] = p
		b.loops.Add(1)
		go s.runPump(p)
	}
	p.links = append(p.links, l)
	p.signal()
}

// pumpLinkDown removes l; the last link's removal stops the pump (it
// releases what it still holds, then returns).
func (s *Server) pumpLinkDown(l *link) {
	b := &s.back
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.pumps[l.account]
	if p == nil {
		return
	}
	for i, x := range p.links {
		if x == l {
			p.links = append(p.links[:i], p.links[i+1:]...)
			break
		}
	}
	if len(p.links) == 0 {
		delete(b.pumps, l.account)
		p.cancel()
	}
}

// wakeAccount wakes account's pump, if it runs here.
func (s *Server) wakeAccount(account string) {
	b := &s.back
	b.mu.Lock()
	p := b.pumps[account]
	b.mu.Unlock()
	if p != nil {
		p.signal()
	}
}

// pumpLinks returns a copy of p's links.
func (s *Server) pumpLinks(p *pump) []*link {
	s.back.mu.Lock()
	defer s.back.mu.Unlock()
	return append([]*link(nil), p.links...)
}

// runPump is p's loop. Once its context is done it records the pending
// outcomes and returns; a DELIVER answered (or failed) after that is
// recorded by its done callback itself (see addResult), so shutdown does
// not wait for the links, which the connection layer closes afterwards.
func (s *Server) runPump(p *pump) {
	defer s.back.loops.Done()
	poll := time.NewTicker(s.cfg.ReportPoll.D())
	defer poll.Stop()
	for {
		s.flushResults(p)
		if p.ctx.Err() != nil {
			if p.exit() {
				return
			}
			continue
		}
		if s.fill(p) {
			p.signal()
		}
		select {
		case <-p.wake:
		case <-poll.C:
		case <-p.ctx.Done():
		}
	}
}

// exit marks p exited when no result is pending (true); later results
// are recorded by addResult directly.
func (p *pump) exit() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.results) > 0 {
		return false
	}
	p.exited = true
	return true
}

// fill leases entries for the free window of p's links and hands them
// out. It returns true when a channel gave as many as asked (more may
// wait).
func (s *Server) fill(p *pump) (more bool) {
	links := s.pumpLinks(p)
	free := 0
	for _, l := range links {
		free += l.free()
	}
	if free <= 0 {
		return false
	}
	snap := s.deps.Registry.Snapshot()
	for _, ch := range snap.ChannelNamesWithData() {
		if free <= 0 {
			return true
		}
		if p.ctx.Err() != nil {
			return false
		}
		// Not p.ctx: a lease taken by Redis but reported as cancelled
		// would hold its entries until the lease ends.
		ctx, cancel := context.WithTimeout(context.Background(), pumpTimeout)
		ds, expired, err := s.deps.Store.LeaseCMPPDelivers(ctx, ch, p.account, s.deps.ReplicaID, min(free, maxLease),
			s.leaseFor(), s.cfg.ReportRetention.D())
		cancel()
		if expired > 0 {
			s.back.m.delivers.WithLabelValues(p.account, kindAny, outcomeExpired).Add(float64(expired))
		}
		if err != nil {
			s.deps.Logger.Warn().Err(err).Str("account", p.account).Str("channel", ch).Msg("CMPP DELIVERs not leased")
			continue
		}
		if len(ds) == min(free, maxLease) {
			more = true
		}
		var unsent []string
		for i := range ds {
			ds[i].Channel = ch
			if s.sendOne(p, links, &ds[i]) {
				free--
			} else {
				unsent = append(unsent, ds[i].ID)
			}
		}
		if len(unsent) > 0 {
			s.release(p.account, ch, unsent)
		}
	}
	return more
}

// sendOne builds e's DELIVER for a link with a free slot (round robin)
// and hands it over. false: no link took it (release it). An entry that
// cannot be encoded is dropped (acknowledged) with an error log, so that
// it does not come back forever.
func (s *Server) sendOne(p *pump, links []*link, e *store.CMPPDeliver) bool {
	kind := kindMO
	if e.Report {
		kind = kindReport
	}
	ctx, cancel := context.WithTimeout(context.Background(), pumpTimeout)
	header, err := s.back.ids.take(ctx, 1)
	cancel()
	if err != nil {
		s.deps.Logger.Warn().Err(err).Str("account", p.account).Msg("no Msg_Id for a DELIVER")
		return false
	}
	for range links {
		l := links[p.rr%len(links)]
		p.rr++
		if l.free() <= 0 {
			continue
		}
		d, err := buildDeliver(e, l.version, header)
		if err != nil {
			l.log.Error().Err(err).Str("entry", e.ID).Str("channel", e.Channel).Msg("CMPP DELIVER entry cannot be encoded: dropped")
			p.addResult(deliverResult{channel: e.Channel, id: e.ID, kind: kind, ack: true}, false)
			return true
		}
		p.mu.Lock()
		p.outstanding++
		p.mu.Unlock()
		start := time.Now()
		ch, id := e.Channel, e.ID
		ok := l.deliver(d, func(result uint32, err error) {
			if err == nil && result != 0 {
				l.log.Warn().Uint32("result", result).Str("entry", id).Msg("DELIVER_RESP with a non-zero Result: the client answered, so it is not resent")
			}
			p.addResult(deliverResult{channel: ch, id: id, kind: kind, ack: err == nil, took: time.Since(start)}, true)
		})
		if ok {
			return true
		}
		p.mu.Lock()
		p.outstanding--
		p.mu.Unlock()
	}
	return false
}

// addResult records r (outstanding: it ends a handed-out DELIVER) and
// wakes the pump; once the pump exited, it records r itself.
func (p *pump) addResult(r deliverResult, outstanding bool) {
	p.mu.Lock()
	if outstanding {
		p.outstanding--
	}
	if p.exited {
		p.mu.Unlock()
		p.srv.record(p.account, []deliverResult{r})
		return
	}
	p.results = append(p.results, r)
	p.mu.Unlock()
	p.signal()
}

// flushResults records the pending results; those whose store call
// failed wait for the next pass (while the pump runs; after that their
// lease ends).
func (s *Server) flushResults(p *pump) {
	p.mu.Lock()
	rs := p.results
	p.results = nil
	p.mu.Unlock()
	if len(rs) == 0 {
		return
	}
	if retry := s.record(p.account, rs); len(retry) > 0 && p.ctx.Err() == nil {
		p.mu.Lock()
		p.results = append(retry, p.results...)
		p.mu.Unlock()
	}
}

// record acknowledges and releases rs of account, one store call per
// channel and kind of call, and returns the results whose call failed.
func (s *Server) record(account string, rs []deliverResult) (failed []deliverResult) {
	type key struct {
		ch  string
		ack bool
	}
	groups := map[key][]deliverResult{}
	var order []key
	for _, r := range rs {
		k := key{r.channel, r.ack}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		g := groups[k]
		ids := make([]string, len(g))
		for i, r := range g {
			ids[i] = r.id
		}
		ctx, cancel := context.WithTimeout(context.Background(), pumpTimeout)
		var err error
		if k.ack {
			err = s.deps.Store.AckCMPPDelivers(ctx, k.ch, account, ids)
		} else {
			err = s.deps.Store.ReleaseCMPPDelivers(ctx, k.ch, account, ids)
		}
		cancel()
		if err != nil {
			s.deps.Logger.Warn().Err(err).Str("account", account).Str("channel", k.ch).Bool("ack", k.ack).
				Int("entries", len(ids)).Msg("CMPP DELIVER outcomes not recorded")
			failed = append(failed, g...)
			continue
		}
		for _, r := range g {
			outcome := outcomeReleased
			if r.ack {
				outcome = outcomeAcked
				if r.took > 0 {
					s.back.m.deliverSeconds.Observe(r.took.Seconds())
				}
			}
			s.back.m.delivers.WithLabelValues(account, r.kind, outcome).Inc()
		}
	}
	return failed
}

// release returns unsent leased entries to the queue at once.
func (s *Server) release(account, channel string, ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), pumpTimeout)
	defer cancel()
	if err := s.deps.Store.ReleaseCMPPDelivers(ctx, channel, account, ids); err != nil {
		s.deps.Logger.Warn().Err(err).Str("account", account).Str("channel", channel).
			Msg("unsent CMPP DELIVERs not released: they come back when their lease ends")
	}
}

// reportTimeLayout is Submit_time / Done_time (YYMMDDHHMM).
const reportTimeLayout = "0601021504"

// buildDeliver makes the DELIVER of entry e for a link of version v, with
// header Msg_Id header. Reports carry the 71-byte report (32-byte
// Dest_terminal_Id) in 3.0 and the 60-byte one in 2.x (PROTOCOL.md §5.2);
// SMSC_sequence is 0 (smsbridge keeps no SMSC reference).
func buildDeliver(e *store.CMPPDeliver, v cmpp.Version, header cmpp.MsgID) (*cmpp.Deliver, error) {
	termLen, linkLen := 21, 8
	if v == cmpp.V30 {
		termLen, linkLen = 32, 20
	}
	switch {
	case len(e.DestID) > 21:
		return nil, fmt.Errorf("Dest_Id of %d bytes", len(e.DestID))
	case len(e.ServiceID) > 10:
		return nil, fmt.Errorf("Service_Id of %d bytes", len(e.ServiceID))
	case len(e.Terminal) > termLen:
		return nil, fmt.Errorf("terminal id of %d bytes", len(e.Terminal))
	}
	d := &cmpp.Deliver{MsgID: header, DestID: e.DestID, ServiceID: e.ServiceID, SrcTerminalID: e.Terminal}
	if !e.Report {
		if len(e.Content) > 255 || len(e.LinkID) > linkLen {
			return nil, fmt.Errorf("MO of %d bytes with a LinkID of %d", len(e.Content), len(e.LinkID))
		}
		d.TPPID, d.TPUDHI, d.MsgFmt, d.MsgContent, d.LinkID = e.TPPID, e.TPUDHI, e.MsgFmt, e.Content, e.LinkID
		return d, nil
	}
	id, err := cmpp.ParseMsgID(e.MsgID)
	if err != nil {
		return nil, err
	}
	if len(e.Stat) > 7 {
		return nil, fmt.Errorf("Stat %q", e.Stat)
	}
	done := e.DoneTime
	if done.IsZero() {
		done = e.EnqueuedAt
	}
	submitted := e.SubmitTime
	if submitted.IsZero() {
		submitted = done
	}
	r := &cmpp.Report{
		MsgID: id, Stat: e.Stat, DestTerminalID: e.Terminal,
		SubmitTime: submitted.In(store.CMPPTimeZone).Format(reportTimeLayout),
		DoneTime:   done.In(store.CMPPTimeZone).Format(reportTimeLayout),
	}
	if err := d.SetReport(r, v != cmpp.V30); err != nil {
		return nil, err
	}
	return d, nil
}

// runWakeSubscriber listens on the CMPP wake-up pub/sub channel (one
// subscription per replica) and wakes the named account's pump. go-redis
// resubscribes after a lost connection; a wake-up lost meanwhile is found
// by the ReportPoll.
func (s *Server) runWakeSubscriber(ctx context.Context) {
	defer s.back.loops.Done()
	sub := s.deps.Store.Client().Subscribe(ctx, s.deps.Store.Keys().CMPPWake())
	defer func() { _ = sub.Close() }()
	msgs := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			s.wakeAccount(m.Payload)
		}
	}
}

// runWaitingSampler sets smsbridge_cmpp_delivers_waiting for every CMPP
// account every sampleEvery (ready and leased entries, all channels).
func (s *Server) runWaitingSampler(ctx context.Context) {
	defer s.back.loops.Done()
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		s.sampleWaiting(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sampleWaiting samples the waiting gauge once.
func (s *Server) sampleWaiting(ctx context.Context) {
	snap := s.deps.Registry.Snapshot()
	chans := snap.ChannelNamesWithData()
	for _, t := range snap.Tenants() {
		if t.CMPP == nil {
			continue
		}
		var total int64
		ok := true
		for _, ch := range chans {
			c, cancel := context.WithTimeout(ctx, pumpTimeout)
			ready, leased, err := s.deps.Store.CMPPWaiting(c, ch, t.CMPP.Account)
			cancel()
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					s.deps.Logger.Debug().Err(err).Str("account", t.CMPP.Account).Msg("CMPP waiting not sampled")
				}
				ok = false
				break
			}
			total += ready + leased
		}
		if ok {
			s.back.m.waiting.WithLabelValues(t.CMPP.Account).Set(float64(total))
		}
	}
}
