package sender

import (
	"context"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/store"
)

// storeMO stores one MO DELIVER. When its tenant has CMPP access
// (Deps.CMPPMO) it is queued as it arrived for that account's links (see
// storeCMPPMO). Otherwise it is stored as a part of its message: parts of a long
// message are joined in Redis (they may arrive on any link of any replica,
// in any order); the completed message becomes an sms.mo event that the
// webhook dispatcher routes to a tenant. A DELIVER resent by the ISMG is
// dropped by its Msg_Id. A UDH that cannot be parsed is treated as a
// whole message of raw bytes rather than refused: refusing would make the
// ISMG resend it forever.
func (c *Channel) storeMO(ctx context.Context, d *cmpp.Deliver) error {
	if c.deps.CMPPMO != nil {
		if account, destID, ok := c.deps.CMPPMO(c.set.Name, d.DestID); ok {
			return c.storeCMPPMO(ctx, d, account, destID)
		}
	}
	part := store.MOPart{
		DeliverMsgID: d.MsgID.String(),
		Src:          d.SrcTerminalID,
		Dest:         d.DestID,
		ServiceID:    d.ServiceID,
		LinkID:       d.LinkID,
		MsgFmt:       d.MsgFmt,
		Total:        1,
		Index:        1,
		Data:         d.MsgContent,
	}
	if content.HasUDHI(d.TPUDHI) {
		h, payload, err := content.ParseUDH(d.MsgContent)
		switch {
		case err != nil:
			c.log.Warn().Err(err).Str("deliver_msg_id", part.DeliverMsgID).Msg("MO with an unreadable UDH stored as one message")
		case h.Concat && h.Total > 1 && h.Index >= 1 && h.Index <= h.Total:
			part.Ref, part.Total, part.Index, part.Data = int(h.Reference), int(h.Total), int(h.Index), payload
		default:
			part.Data = payload
		}
	}
	mo, err := c.deps.Store.MOPart(ctx, c.set.Name, part)
	if err != nil {
		c.deliverFailed(ctx, err).Str("deliver_msg_id", part.DeliverMsgID).Msg("storing MO failed; not acknowledged")
		return err
	}
	if mo != nil {
		if mo.EventID != "" {
			c.eventsCreated()
		}
		c.log.Info().Str("event_id", mo.EventID).Int("parts", mo.Parts).Msg("MO message complete")
		c.log.Debug().Str("from", mo.Src).Str("to", mo.Dest).Msg("MO addresses")
		if c.deps.Metrics != nil {
			c.deps.Metrics.MO.WithLabelValues(c.set.Name).Inc()
		}
	}
	return nil
}
