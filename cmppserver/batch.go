package cmppserver

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Group commit of SUBMITs. onSubmit validates a SUBMIT on the link's
// read loop and queues it (never blocking: a full queue answers Result
// 8). A dispatcher forms batches across every link of the replica and
// hands each to one of commitSlots concurrent commits, which apply the
// account rate, the tenant rate and daily quota, assign Msg_Ids and store
// the batch with store.CreateRequests; each SUBMIT_RESP Result 0 is sent
// only after the store said its request is stored.
//
// Batches: the dispatcher waits for a free commit slot, then takes what
// is queued (at most SubmitBatchMax). When every other slot is busy it
// lingers up to SubmitBatchWait for the batch to fill; otherwise it
// starts at once (a server with spare commit slots adds no latency).

// commitSlots is the number of batches stored concurrently.
const commitSlots = 4

// storeTimeout bounds one commit's Redis work; it is not cut short by a
// link closing or the server stopping (a stored SUBMIT must be answered).
const storeTimeout = 10 * time.Second

// resolveFor bounds how long a commit whose outcome is unknown keeps
// asking Redis whether the request exists before it gives up answering.
const resolveFor = 2 * time.Minute

// submitQueueLen is the capacity of the SUBMIT queue of a replica.
func submitQueueLen(cfg Config) int { return max(4096, 16*cfg.SubmitBatchMax) }

// submitItem is one valid SUBMIT waiting for its commit.
type submitItem struct {
	// account and t are the link's account and its tenant (as of the
	// SUBMIT's snapshot: its limits apply).
	account string
	t       *registry.Tenant
	// snap is the snapshot t was read from (routing).
	snap *registry.Snapshot
	// day is the tenant's day of the SUBMIT (quota).
	day int
	// req is the request to store; ID and CMPP.MsgID are set at commit.
	req store.NewRequest
	// answer sends the SUBMIT_RESP (the link's respond, bound to the
	// SUBMIT's Sequence_Id).
	answer func(p cmpp.PDU)
	log    zerolog.Logger

	// set during the commit:
	result uint32
	msgID  cmpp.MsgID
	quota  bool // the daily quota was charged for it
}

// segments is the item's number of segments (one per destination).
func (it *submitItem) segments() int64 { return int64(len(it.req.Recipients)) }

// submit validates p from l and queues it for the group commit, or
// answers at once when it is refused.
func (s *Server) submit(l *link, seq uint32, p *cmpp.Submit) {
	answer := func(pdu cmpp.PDU) { l.respond(seq, pdu) }
	snap := s.deps.Registry.Snapshot()
	t, ok := snap.Tenant(l.tenant)
	if !ok || t.Disabled || t.CMPP == nil || t.CMPP.Account != l.account {
		s.refuse(l.account, l.log, answer, resultNoAccess, "the account's tenant cannot send (disabled, deleted or no CMPP access)")
		return
	}
	c, r, why := checkSubmit(snap, t, l.version, p)
	if r != resultOK {
		s.refuse(l.account, l.log, answer, r, why)
		return
	}
	now := time.Now().In(snap.Location(t))
	_, offset := now.Zone()
	it := &submitItem{
		account: l.account, t: t, snap: snap, day: store.Day(now, offset), answer: answer, log: l.log,
		req: store.NewRequest{
			Tenant: t.Name, Weight: t.Weight, UTCOffset: offset, Channel: c.channel,
			MsgFmt: p.MsgFmt, SrcExt: c.srcExt, Recipients: c.dests,
			Segments:  []store.Segment{{Content: bytes.Clone(p.MsgContent), UDHI: p.TPUDHI == 1}},
			CreatedAt: now,
			CMPP:      &store.CMPPOrigin{Account: l.account, SrcID: c.srcID, ServiceID: p.ServiceID, Report: c.report},
			PkTotal:   p.PkTotal, PkNumber: p.PkNumber, ValidTime: c.validTime, AtTime: c.atTime,
		},
	}
	if !s.enqueue(it) {
		s.refuse(l.account, l.log, answer, resultFlow, "the server's SUBMIT queue is full or stopping")
	}
}

// refuse answers a SUBMIT with Result r (not 0) and counts it.
func (s *Server) refuse(account string, log zerolog.Logger, answer func(cmpp.PDU), r uint32, why string) {
	ev := log.Info()
	if r == resultFlow {
		ev = log.Debug() // can come by the thousand a second; counted in the metric
	}
	ev.Uint32("result", r).Str("reason", why).Msg("SUBMIT refused")
	s.back.m.submitted(account, r)
	answer(&cmpp.SubmitResp{Result: r})
}

// enqueue queues it without blocking; false when the queue is full or
// the backend is stopping.
func (s *Server) enqueue(it *submitItem) bool {
	b := &s.back
	b.qmu.RLock()
	defer b.qmu.RUnlock()
	if b.stopped {
		return false
	}
	select {
	case b.queue <- it:
		return true
	default:
		return false
	}
}

// runBatcher forms batches until the queue is closed and drained, and
// waits for their commits.
func (s *Server) runBatcher() {
	b := &s.back
	defer b.batcher.Done()
	slots := make(chan struct{}, commitSlots)
	wait := s.cfg.SubmitBatchWait.D()
	maxN := max(1, s.cfg.SubmitBatchMax)
	var timer *time.Timer
	for {
		slots <- struct{}{} // a free commit slot
		first, ok := <-b.queue
		if !ok {
			<-slots
			break
		}
		batch := []*submitItem{first}
	drain:
		for len(batch) < maxN {
			select {
			case it, ok := <-b.queue:
				if !ok {
					break drain
				}
				batch = append(batch, it)
				continue
			default:
			}
			// Nothing queued now: linger only while every other commit
			// slot is busy too (Redis is the bottleneck, so a fuller batch
			// costs no latency); otherwise go at once.
			if wait <= 0 || len(slots) < commitSlots {
				break
			}
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case it, ok := <-b.queue:
				if !timer.Stop() {
					<-timer.C
				}
				if !ok {
					break drain
				}
				batch = append(batch, it)
			case <-timer.C:
				break drain
			}
		}
		b.batcher.Add(1)
		go func() {
			defer b.batcher.Done()
			defer func() { <-slots }()
			s.commit(batch)
		}()
	}
	for range commitSlots { // wait for the commits in flight
		slots <- struct{}{}
	}
}

// commit stores a batch and answers every SUBMIT of it.
func (s *Server) commit(batch []*submitItem) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	live := s.applyRoutes(ctx, batch)
	live = s.applyRates(ctx, live)
	live = s.applyQuotas(ctx, live)
	live = s.assignMsgIDs(ctx, live)
	if len(live) > 0 {
		reqs := make([]store.NewRequest, len(live))
		deadline := s.deps.Store.CreateDeadline()
		for i, it := range live {
			it.req.Deadline = deadline
			reqs[i] = it.req
		}
		errs := s.deps.Store.CreateRequests(ctx, reqs)
		queued := map[string]bool{}
		for i, it := range live {
			s.stored(it, errs[i])
			if errs[i] == nil {
				queued[it.req.Channel] = true
			}
		}
		if w := s.deps.Wake; w != nil {
			for ch := range queued {
				w.JobsQueued(ch)
			}
		}
	}
	for _, it := range batch {
		if it.result != resultOK || it.msgID != 0 {
			s.answerItem(it)
		}
	}
}

// stored records CreateRequests' outcome err for it.
func (s *Server) stored(it *submitItem, err error) {
	switch {
	case err == nil:
		if m := s.deps.Metrics; m != nil {
			m.AcceptedRequests.WithLabelValues(it.req.Channel, "cmpp").Inc()
			m.AcceptedSegments.WithLabelValues(it.req.Channel, "cmpp").Add(float64(it.segments()))
		}
		it.log.Debug().Str("request_id", it.req.ID).Strs("to", it.req.Recipients).Msg("SUBMIT stored")
	case errors.Is(err, store.ErrOutcomeUnknown):
		// The create's deadline has passed (CreateRequest waited for it),
		// so Redis can no longer store the request: ask until it answers,
		// then tell the truth. Answered later, from its own goroutine.
		id := it.msgID
		it.msgID = 0 // not answered by commit
		s.back.batcher.Add(1)
		go func() {
			defer s.back.batcher.Done()
			s.settleUnknown(it, id, err)
		}()
	default:
		it.log.Error().Err(err).Str("request_id", it.req.ID).Msg("SUBMIT not stored")
		s.fail(it, resultBusy)
	}
}

// settleUnknown learns whether it's request exists (store.ResolveCreate
// voids the id when it does not) and answers accordingly. When Redis does
// not answer within resolveFor (or the server gives up stopping), the
// SUBMIT stays unanswered: the client's resend is safer than a false
// answer.
func (s *Server) settleUnknown(it *submitItem, id cmpp.MsgID, cause error) {
	deadline := time.Now().Add(resolveFor)
	delay := 100 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		exists, err := s.deps.Store.ResolveCreate(ctx, it.req.Channel, it.req.ID)
		cancel()
		if err == nil {
			if exists {
				it.msgID = id
				s.stored(it, nil)
			} else {
				it.log.Error().Err(cause).Str("request_id", it.req.ID).Msg("SUBMIT not stored (settled after an unknown outcome)")
				s.fail(it, resultBusy)
			}
			s.answerItem(it)
			return
		}
		if time.Now().After(deadline) {
			it.log.Error().Err(err).Str("request_id", it.req.ID).Msg("SUBMIT outcome unknown: left unanswered")
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.back.hardStop:
			t.Stop()
			it.log.Error().Str("request_id", it.req.ID).Msg("SUBMIT outcome unknown at shutdown: left unanswered")
			return
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// fail refuses it with r (not 0) after it may have been charged: the
// quota it took is given back (nothing was stored).
func (s *Server) fail(it *submitItem, r uint32) {
	it.result, it.msgID = r, 0
	if it.quota {
		it.quota = false
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.deps.Store.ReturnQuota(ctx, it.t.Name, it.day, it.segments()); err != nil {
			it.log.Warn().Err(err).Msg("daily quota not given back for a SUBMIT that was not stored")
		}
	}
}

// answerItem sends it's SUBMIT_RESP and counts it.
func (s *Server) answerItem(it *submitItem) {
	s.back.m.submitted(it.account, it.result)
	it.answer(&cmpp.SubmitResp{MsgID: it.msgID, Result: it.result})
}

// rateLimit is one per-second SUBMIT limit of the group commit: the
// account's max_submits_per_sec or the tenant's
// limits.max_requests_per_sec (each SUBMIT is one request).
type rateLimit struct {
	// name is the limit in the log.
	name string
	// scope is the key it's SUBMIT is counted under and that key's rate
	// (≤ 0: no limit).
	scope func(it *submitItem) (key string, perSec int)
	// allow is the store call: how many of n SUBMITs fit key's rate.
	allow func(st *store.Store, ctx context.Context, key string, perSec, n int) (int, error)
}

// rateLimits are applied in this order: a SUBMIT refused by the account
// rate is not charged to the tenant rate.
var rateLimits = []rateLimit{
	{
		name:  "account rate",
		scope: func(it *submitItem) (string, int) { return it.account, it.t.CMPP.MaxSubmitsPerSec },
		allow: (*store.Store).AllowCMPPSubmits,
	},
	{
		name:  "tenant rate",
		scope: func(it *submitItem) (string, int) { return it.t.Name, it.t.Limits.MaxRequestsPerSec },
		allow: (*store.Store).AllowRequests,
	},
}

// applyRates applies every rate limit to items in turn (see applyRate).
func (s *Server) applyRates(ctx context.Context, items []*submitItem) []*submitItem {
	for _, r := range rateLimits {
		items = s.applyRate(ctx, items, r)
	}
	return items
}

// applyRate refuses, per key of r, the SUBMITs over its rate (Result 8),
// in queue order; one store call per key with a limit. When the call
// fails the key's SUBMITs get resultBusy (nothing was checked).
func (s *Server) applyRate(ctx context.Context, items []*submitItem, r rateLimit) []*submitItem {
	groups := map[string][]*submitItem{}
	var order []string
	for _, it := range items {
		key, perSec := r.scope(it)
		if perSec <= 0 {
			continue
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], it)
	}
	if len(order) == 0 {
		return items // nothing refused
	}
	for _, key := range order {
		g := groups[key]
		_, perSec := r.scope(g[0])
		k, err := r.allow(s.deps.Store, ctx, key, perSec, len(g))
		refused := uint32(resultFlow)
		if err != nil {
			g[0].log.Error().Err(err).Msg(r.name + " not checked")
			k, refused = 0, resultBusy
		}
		for _, it := range g[k:] {
			it.result = refused
		}
	}
	return surviving(items)
}

// applyQuotas charges each tenant's daily quota (limits.
// max_segments_per_day) for the batch's segments: one call for the whole
// group when it fits; otherwise SUBMIT by SUBMIT, those that do not fit
// getting Result 101.
func (s *Server) applyQuotas(ctx context.Context, items []*submitItem) []*submitItem {
	type key struct {
		tenant string
		day    int
	}
	groups := map[key][]*submitItem{}
	var order []key
	for _, it := range items {
		if it.t.Limits.MaxSegmentsPerDay <= 0 {
			continue
		}
		k := key{it.t.Name, it.day}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], it)
	}
	for _, k := range order {
		g := groups[k]
		limit := g[0].t.Limits.MaxSegmentsPerDay
		var total int64
		for _, it := range g {
			total += it.segments()
		}
		ok, _, err := s.deps.Store.TakeQuota(ctx, k.tenant, k.day, total, limit)
		if err == nil && ok {
			for _, it := range g {
				it.quota = true
			}
			continue
		}
		for _, it := range g {
			if err == nil {
				var taken bool
				taken, _, err = s.deps.Store.TakeQuota(ctx, k.tenant, k.day, it.segments(), limit)
				if err == nil {
					if taken {
						it.quota = true
					} else {
						it.result = resultQuota
					}
					continue
				}
			}
			it.log.Error().Err(err).Msg("daily quota not checked")
			it.result = resultBusy
		}
	}
	return surviving(items)
}

// assignMsgIDs gives each item its Msg_Id (one sequence per destination)
// and request id "cmpp-" + Msg_Id.
func (s *Server) assignMsgIDs(ctx context.Context, items []*submitItem) []*submitItem {
	for _, it := range items {
		id, err := s.back.ids.take(ctx, len(it.req.Recipients))
		if err != nil {
			it.log.Error().Err(err).Msg("no Msg_Id")
			s.fail(it, resultBusy)
			continue
		}
		it.msgID = id
		it.req.ID = RequestID(id)
		origin := *it.req.CMPP
		origin.MsgID = id.String()
		it.req.CMPP = &origin
	}
	return surviving(items)
}

// RequestID is the id of the request stored for a customer's SUBMIT
// answered with Msg_Id id: GET /sms/{id} finds it.
func RequestID(id cmpp.MsgID) string { return "cmpp-" + id.String() }

// surviving returns the items not refused yet.
func surviving(items []*submitItem) []*submitItem {
	out := items[:0:0]
	for _, it := range items {
		if it.result == resultOK {
			out = append(out, it)
		}
	}
	return out
}
