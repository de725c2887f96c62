package cmppserver

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store"
)

// controlTimeout bounds the Redis work of one QUERY or CANCEL.
const controlTimeout = 5 * time.Second

// query answers a QUERY from the usage counters of the account's tenant
// for the day Time (YYYYMMDD in the tenant's time zone; empty: today).
// The counters are the tenant's (HTTP and CMPP traffic together, every
// channel), in segments:
//
//	MT_TLMsg, MT_Tlusr  accepted
//	MT_Scs              delivered
//	MT_WT               accepted − (delivered + failed + unknown + cancelled)
//	MT_FL               failed + unknown
//	MO_Scs, MO_WT, MO_FL 0 (MO is not counted per tenant)
//
// Query_Type 1 (per Service_Id) gets the same totals: usage is not kept
// per Service_Id. An invalid Time, an unknown tenant or a store error
// answers zeros (QUERY_RESP has no error field); the error is logged.
// It runs on its own goroutine, so the read loop never waits for Redis.
func (s *Server) query(l *link, seq uint32, q *cmpp.Query) {
	resp := &cmpp.QueryResp{Time: q.Time, QueryType: q.QueryType, QueryCode: q.QueryCode}
	s.goControl(l, seq, resp, func() {
		if err := s.fillQuery(l.tenant, q, resp); err != nil {
			l.log.Warn().Err(err).Str("time", q.Time).Msg("QUERY answered with zeros")
		}
	})
}

// fillQuery sets resp's MT counters from tenant's usage of q.Time.
func (s *Server) fillQuery(tenant string, q *cmpp.Query, resp *cmpp.QueryResp) error {
	snap := s.deps.Registry.Snapshot()
	t, ok := snap.Tenant(tenant)
	if !ok {
		return errors.New("tenant not found")
	}
	loc := snap.Location(t)
	var day int
	if q.Time == "" {
		now := time.Now().In(loc)
		_, off := now.Zone()
		day = store.Day(now, off)
		resp.Time = now.Format("20060102")
	} else {
		d, err := time.Parse("20060102", q.Time)
		if err != nil {
			return err
		}
		day = int(d.Unix() / 86400) // the store's day number of that date
	}
	ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
	defer cancel()
	us, err := s.deps.Store.Usage(ctx, snap.ChannelNamesWithData(), t.Name, day, day)
	if err != nil {
		return err
	}
	u := us[0]
	resp.MTTLMsg = clampU32(u.Accepted)
	resp.MTTlusr = clampU32(u.Accepted)
	resp.MTScs = clampU32(u.Delivered)
	resp.MTWT = clampU32(u.Accepted - (u.Delivered + u.Failed + u.Unknown + u.Cancelled))
	resp.MTFL = clampU32(u.Failed + u.Unknown)
	return nil
}

// clampU32 is v within 0..MaxUint32.
func clampU32(v int64) uint32 {
	switch {
	case v < 0:
		return 0
	case v > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(v)
}

// Success_Id values of CANCEL_RESP.
const (
	cancelDone   = 0
	cancelFailed = 1
)

// cancel answers a CANCEL. Msg_Id must be the SUBMIT_RESP Msg_Id of a
// SUBMIT of this account's tenant (a group send's other recipients'
// Msg_Ids are not accepted: the SUBMIT's is cancelled as a whole). Its
// request ("cmpp-" + Msg_Id) is cancelled with store.CancelRequest:
// Success_Id 0 when at least one of its segments was still waiting to be
// sent and is now cancelled, else 1 (unknown, another tenant's, already
// sent or being sent, or a store error). Segments already submitted
// upstream are not cancelled at the operator. Runs on its own goroutine.
func (s *Server) cancel(l *link, seq uint32, c *cmpp.Cancel) {
	resp := &cmpp.CancelResp{SuccessID: cancelFailed}
	s.goControl(l, seq, resp, func() {
		ok, err := s.cancelRequest(l.tenant, c.MsgID)
		ev := l.log.Info()
		if err != nil {
			ev = l.log.Warn().Err(err)
		}
		ev.Str("msg_id", c.MsgID.String()).Bool("cancelled", ok).Msg("CANCEL")
		if ok {
			resp.SuccessID = cancelDone
		}
	})
}

// goControl runs fill on its own goroutine (owned by the backend: stopBackend
// waits for it), then answers resp. Once the backend is stopping, resp is
// answered as it is.
func (s *Server) goControl(l *link, seq uint32, resp cmpp.PDU, fill func()) {
	b := &s.back
	b.qmu.RLock()
	defer b.qmu.RUnlock()
	if b.stopped {
		l.respond(seq, resp)
		return
	}
	b.control.Add(1)
	go func() {
		defer b.control.Done()
		fill()
		l.respond(seq, resp)
	}()
}

// cancelRequest cancels the request of Msg_Id id if it is tenant's.
func (s *Server) cancelRequest(tenant string, id cmpp.MsgID) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), controlTimeout)
	defer cancel()
	rid := RequestID(id)
	req, err := s.deps.Store.GetRequest(ctx, rid)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if req.Tenant != tenant {
		return false, nil
	}
	res, err := s.deps.Store.CancelRequest(ctx, rid)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return res.Cancelled > 0, nil
}
