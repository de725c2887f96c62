package sender

import (
	"context"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store"
)

// storeCMPPMO queues one MO DELIVER for the CMPP account that takes it:
// each segment as it arrived (UDH kept, not reassembled — the customer's
// client joins a long message as it would from an operator), with destID
// (the account's service code plus extension) as its Dest_Id. It returns
// once the entry is durable, so DELIVER_RESP goes out only then; a DELIVER
// the ISMG resends is dropped by its Msg_Id in the same store call.
func (c *Channel) storeCMPPMO(ctx context.Context, d *cmpp.Deliver, account, destID string) error {
	deliverMsgID := d.MsgID.String()
	dup, err := c.deps.Store.PushCMPPMO(ctx, c.set.Name, account, deliverMsgID, store.CMPPDeliver{
		Report:    false,
		Terminal:  d.SrcTerminalID,
		DestID:    destID,
		ServiceID: d.ServiceID,
		MsgFmt:    d.MsgFmt,
		TPPID:     d.TPPID,
		TPUDHI:    d.TPUDHI,
		Content:   d.MsgContent,
		LinkID:    d.LinkID,
	})
	if err != nil {
		c.deliverFailed(ctx, err).Str("deliver_msg_id", deliverMsgID).Str("cmpp_account", account).
			Msg("queueing MO for a CMPP account failed; not acknowledged")
		return err
	}
	c.log.Info().Str("deliver_msg_id", deliverMsgID).Str("cmpp_account", account).Bool("duplicate", dup).
		Msg("MO queued for a CMPP account")
	c.log.Debug().Str("deliver_msg_id", deliverMsgID).Str("from", d.SrcTerminalID).Str("to", d.DestID).
		Str("dest_id", destID).Msg("MO addresses")
	return nil
}
