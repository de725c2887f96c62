package sender

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store"
)

// handleDeliver is every link's DeliverHandler. A report is stored (batched
// with other reports) before it returns nil, so DELIVER_RESP goes out only
// for durable reports; an error withholds the DELIVER_RESP and the ISMG
// resends. A report too malformed to decode is acknowledged and logged:
// resending it would not make it readable.
func (c *Channel) handleDeliver(ctx context.Context, d *cmpp.Deliver) error {
	if d.RegisteredDelivery != 1 {
		return c.storeMO(ctx, d)
	}
	rep, err := d.Report()
	if err != nil {
		c.log.Warn().Err(err).Str("deliver_msg_id", d.MsgID.String()).Msg("undecodable status report acknowledged and dropped")
		return nil
	}
	in := store.ReportIn{
		MsgID:      rep.MsgID.String(),
		Stat:       rep.Stat,
		DoneTime:   rep.DoneTime,
		SubmitTime: rep.SubmitTime,
		Dest:       rep.DestTerminalID,
	}
	out, err := c.reports.do(ctx, in)
	if err != nil {
		c.deliverFailed(ctx, err).Str("msg_id", in.MsgID).Msg("storing status report failed; not acknowledged")
		return err
	}
	c.log.Debug().Str("msg_id", in.MsgID).Str("stat", in.Stat).Str("outcome", string(out.Result)).Msg("status report")
	if m := c.deps.Metrics; m != nil {
		m.Reports.WithLabelValues(c.set.Name, statLabel(in.Stat), string(out.Result)).Inc()
		if out.Result == store.ReportMatched && !out.SubmittedAt.IsZero() {
			m.SubmitToReport.WithLabelValues(c.set.Name).Observe(time.Since(out.SubmittedAt).Seconds())
		}
	}
	return nil
}

// deliverFailed returns the event to log a DELIVER left unacknowledged
// because storing it failed with err. When the failure is the link's
// close (ctx, the link's, is done) or the end of the drain (the store
// call's context was cancelled), it is expected — the ISMG resends — and
// frequent, so it is counted for Run's one summary line and logged only
// at debug level; any other failure is a warning.
func (c *Channel) deliverFailed(ctx context.Context, err error) *zerolog.Event {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		c.unacked.Add(1)
		return c.log.Debug().Err(err)
	}
	return c.log.Warn().Err(err)
}

// statLabel maps a report Stat to a metrics label from a bounded set: the
// standard Stat values of PROTOCOL.md §5.2, the class of a vendor code
// ("MK:0001" → "MK:xxxx", two capital letters and a colon), or "other".
// Stat comes from the ISMG: carriers send hundreds of vendor codes, which
// would make an unbounded label set, and arbitrary bytes, which are not
// valid UTF-8 and make WithLabelValues panic — the handler would then never
// acknowledge a report it had already stored, and the ISMG would resend it
// again and again. The exact Stat is kept in the store and the webhook
// event.
func statLabel(stat string) string {
	s := strings.TrimSpace(stat)
	switch s {
	case "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD":
		return s
	}
	upper := func(b byte) bool { return b >= 'A' && b <= 'Z' }
	if len(s) >= 3 && upper(s[0]) && upper(s[1]) && s[2] == ':' {
		return s[:3] + "xxxx"
	}
	return "other"
}
