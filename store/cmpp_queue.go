package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// CMPPTimeZone is the zone of a report's Done_time text (YYMMDDHHMM, China
// time as the operators send it): CMPPDeliver.DoneTime is parsed in it,
// so formatting it in the same zone gives the operator's text back.
var CMPPTimeZone = time.FixedZone("UTC+8", 8*3600)

// maxCMPPLease bounds LeaseCMPPDelivers' max (one script call).
const maxCMPPLease = 1000

// PushCMPPMO queues an MO DELIVER for account in channel, unless the
// operator's DELIVER deliverMsgID was already stored (dup true): the
// dedup key is the one of the webhook MO path ({ch}:dedup:<msgid>,
// Options.DedupTTL), checked and written in the same script as the entry.
// mo's Terminal, DestID, ServiceID, LinkID, MsgFmt, TPPID, TPUDHI and
// Content are stored; its entry id is "mo:<deliverMsgID>".
func (s *Store) PushCMPPMO(ctx context.Context, channel, account, deliverMsgID string, mo CMPPDeliver) (dup bool, err error) {
	if err := s.checkCMPP(channel, account); err != nil {
		return false, err
	}
	if deliverMsgID == "" || !cleanID(deliverMsgID) {
		return false, fmt.Errorf("%w: DELIVER Msg_Id %q: empty or contains '|'", ErrInvalid, deliverMsgID)
	}
	now := ms(s.now())
	v, err := s.run(ctx, "push CMPP MO", scriptCMPPMO,
		[]string{s.keys.Dedup(channel, deliverMsgID), s.keys.CMPPQueue(channel, account), s.keys.CMPPEntries(channel, account)},
		now, secs(s.opts.DedupTTL), "mo:"+deliverMsgID, encodeMO(now, &mo), s.keys.CMPPWake(), account)
	if err != nil {
		return false, err
	}
	return asInt(v) == 1, nil
}

// LeaseCMPPDelivers takes up to max entries of account in channel for
// owner for lease (oldest first), after returning expired leases to the
// queue and dropping entries older than retention (expired counts them).
// Any holder may ack or release an entry; owner only names the caller in
// errors. An entry whose lease expires goes back with its enqueue time.
func (s *Store) LeaseCMPPDelivers(ctx context.Context, channel, account, owner string, max int, lease, retention time.Duration) (ds []CMPPDeliver, expired int, err error) {
	if err := s.checkCMPP(channel, account); err != nil {
		return nil, 0, err
	}
	if max < 0 || max > maxCMPPLease || lease <= 0 || retention <= 0 {
		return nil, 0, fmt.Errorf("%w: LeaseCMPPDelivers max %d (0..%d), lease %v, retention %v", ErrInvalid, max, maxCMPPLease, lease, retention)
	}
	now := s.now()
	v, err := s.run(ctx, "lease CMPP delivers", scriptCMPPLease, s.cmppKeys(channel, account),
		ms(now), ms(now.Add(lease)), max, ms(now.Add(-retention)))
	if err != nil {
		return nil, 0, err
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 2 {
		return nil, 0, fmt.Errorf("%w: lease CMPP delivers reply %v", ErrBadReply, v)
	}
	expired = asInt(a[0])
	es, _ := asSlice(a[1])
	ds = make([]CMPPDeliver, 0, len(es)/2)
	for i := 0; i+1 < len(es); i += 2 {
		d, err := decodeCMPPEntry(asString(es[i]), asString(es[i+1]))
		if err != nil {
			return ds, expired, fmt.Errorf("store: lease CMPP delivers for %s: %w", owner, err)
		}
		d.Channel = channel
		ds = append(ds, d)
	}
	return ds, expired, nil
}

// AckCMPPDelivers removes entries answered by DELIVER_RESP.
func (s *Store) AckCMPPDelivers(ctx context.Context, channel, account string, ids []string) error {
	if err := s.checkCMPP(channel, account); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := s.run(ctx, "ack CMPP delivers", scriptCMPPAck, s.cmppKeys(channel, account), anys(ids)...)
	return err
}

// ReleaseCMPPDelivers returns leased entries to the queue at once (their
// link is gone or they were resent N times unanswered), in their place
// (by enqueue time), and wakes the account's pumps.
func (s *Store) ReleaseCMPPDelivers(ctx context.Context, channel, account string, ids []string) error {
	if err := s.checkCMPP(channel, account); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	args := append([]any{s.keys.CMPPWake(), account}, anys(ids)...)
	_, err := s.run(ctx, "release CMPP delivers", scriptCMPPRelease, s.cmppKeys(channel, account), args...)
	return err
}

// CMPPWaiting counts account's entries in channel: ready and leased (a
// lease that expired counts as leased until the next LeaseCMPPDelivers).
func (s *Store) CMPPWaiting(ctx context.Context, channel, account string) (ready, leased int64, err error) {
	if err := s.checkCMPP(channel, account); err != nil {
		return 0, 0, err
	}
	// Two single-key reads of one slot: a pipeline (one round trip).
	p := s.rdb.Pipeline()
	r := p.ZCard(ctx, s.keys.CMPPQueue(channel, account))
	l := p.ZCard(ctx, s.keys.CMPPLeased(channel, account))
	if _, err := p.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("store: CMPP waiting: %w", err)
	}
	return r.Val(), l.Val(), nil
}

// cmppKeys are the KEYS of the CMPP queue scripts.
func (s *Store) cmppKeys(channel, account string) []string {
	return []string{s.keys.CMPPQueue(channel, account), s.keys.CMPPLeased(channel, account), s.keys.CMPPEntries(channel, account)}
}

// checkCMPP validates a channel and a CMPP account name.
func (s *Store) checkCMPP(channel, account string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	if account == "" || strings.ContainsAny(account, "{}| ") {
		return fmt.Errorf("%w: CMPP account %q", ErrInvalid, account)
	}
	return nil
}

// anys converts ids to script arguments.
func anys(ids []string) []any {
	a := make([]any, len(ids))
	for i, id := range ids {
		a[i] = id
	}
	return a
}

// encodeMO is the payload of an MO entry:
//
//	M | enqueued (ms) | Msg_Fmt | TP_pid | TP_udhi | length-prefixed
//	Src_terminal_Id, Dest_Id, Service_Id, LinkID, Msg_Content
//
// (each "<length>:<bytes>", as in encodeOrigin: any byte may occur).
func encodeMO(now string, d *CMPPDeliver) string {
	var b strings.Builder
	b.WriteString(schema.CMPPEntryMO + "|" + now + "|" + strconv.Itoa(int(d.MsgFmt)) + "|" + strconv.Itoa(int(d.TPPID)) + "|" +
		strconv.Itoa(int(d.TPUDHI)) + "|")
	appendLV(&b, d.Terminal, d.DestID, d.ServiceID, d.LinkID, string(d.Content))
	return b.String()
}

// decodeCMPPEntry decodes entry id's payload: a report (lua/lib.lua
// cmpp_report) or an MO (encodeMO).
func decodeCMPPEntry(id, p string) (CMPPDeliver, error) {
	bad := func() (CMPPDeliver, error) {
		return CMPPDeliver{}, fmt.Errorf("%w: CMPP entry %s: payload %q", ErrBadReply, id, p)
	}
	d := CMPPDeliver{ID: id}
	switch {
	case strings.HasPrefix(p, schema.CMPPEntryReport+"|"):
		f := strings.SplitN(p, "|", schema.CMPPReportFields)
		if len(f) != schema.CMPPReportFields {
			return bad()
		}
		o, err := decodeOrigin(f[schema.CMPPOrigin])
		if err != nil {
			return bad()
		}
		st, ok := jobStateCodes[f[schema.CMPPState]]
		r, err := strconv.Atoi(f[schema.CMPPRecipient])
		if !ok || err != nil || r < 1 {
			return bad()
		}
		d.Report = true
		d.EnqueuedAt = fromMS(f[schema.CMPPEnqueuedAt])
		d.Stat = CMPPStat(st, f[schema.CMPPError], f[schema.CMPPStat])
		d.SubmitTime = fromMS(f[schema.CMPPSubmittedAt])
		d.DoneTime = fromMS(f[schema.CMPPReportedAt])
		if t, err := time.ParseInLocation("0601021504", f[schema.CMPPDoneTime], CMPPTimeZone); err == nil {
			d.DoneTime = t
		}
		// Never sent (cancelled, refused before a SUBMIT): the times are
		// those of the entry.
		if d.SubmitTime.IsZero() {
			d.SubmitTime = d.EnqueuedAt
		}
		if d.DoneTime.IsZero() {
			d.DoneTime = d.EnqueuedAt
		}
		d.Terminal, d.DestID, d.ServiceID = f[schema.CMPPTerminal], o.SrcID, o.ServiceID
		d.MsgID = o.MsgID
		if m, err := cmpp.ParseMsgID(o.MsgID); err == nil {
			d.MsgID = m.AddSequence(r - 1).String()
		}
		return d, nil
	case strings.HasPrefix(p, schema.CMPPEntryMO+"|"):
		f := strings.SplitN(p, "|", 6)
		if len(f) != 6 {
			return bad()
		}
		fmtV, e1 := strconv.ParseUint(f[2], 10, 8)
		pid, e2 := strconv.ParseUint(f[3], 10, 8)
		udhi, e3 := strconv.ParseUint(f[4], 10, 8)
		vs, e4 := splitLV(f[5], 5)
		if e1 != nil || e2 != nil || e3 != nil || e4 != nil {
			return bad()
		}
		d.EnqueuedAt = fromMS(f[1])
		d.MsgFmt, d.TPPID, d.TPUDHI = uint8(fmtV), uint8(pid), uint8(udhi)
		d.Terminal, d.DestID, d.ServiceID, d.LinkID = vs[0], vs[1], vs[2], vs[3]
		d.Content = []byte(vs[4])
		return d, nil
	}
	return bad()
}
