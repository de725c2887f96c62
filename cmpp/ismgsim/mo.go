package ismgsim

import (
	"context"
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/content"
)

// MO is a mobile-originated message to inject: a handset user texting the
// SP's service number.
type MO struct {
	// SPID is the account that receives it.
	SPID string `json:"sp_id"`
	// From is the sender's MSISDN (Src_terminal_Id).
	From string `json:"from"`
	// To is the number texted (Dest_Id): the SP service code plus extension.
	To string `json:"to"`
	// Text is the message; a long text becomes several segments with a
	// concatenation UDH and TP_udhi = 1.
	Text string `json:"text"`
	// Encoding is "ascii", "ucs2", "gbk" or "" / "auto" (ASCII when every
	// character is printable ASCII, else UCS2).
	Encoding string `json:"encoding,omitempty"`
	// ServiceID is the DELIVER Service_Id (optional).
	ServiceID string `json:"service_id,omitempty"`
	// LinkID is the 3.0 LinkID to copy into an on-demand reply (optional;
	// not sent on 2.0 links, whose field is the 8-byte Reserved).
	LinkID string `json:"link_id,omitempty"`
	// UDH16 selects the 7-byte UDH with a 16-bit reference for long texts.
	UDH16 bool `json:"udh16,omitempty"`
	// MaxSegments caps the number of segments (default 10, at most 255).
	MaxSegments int `json:"max_segments,omitempty"`
}

// InjectMO sends mo to its account as DELIVERs with Registered_Delivery 0.
// A long text is split; its segments are spread round robin over the
// account's logged-in links. It fails with ErrUnknownAccount, ErrNoLink
// (no logged-in link) or ErrInvalidMO, and returns once the segments are
// queued (delivery, resends and acknowledgements then follow the DELIVER
// window rules; see Counts).
func (s *Server) InjectMO(ctx context.Context, mo MO) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	acct := s.account(mo.SPID)
	if acct == nil {
		return fmt.Errorf("%w: %q", ErrUnknownAccount, mo.SPID)
	}
	switch {
	case mo.From == "" || len(mo.From) > 21:
		return fmt.Errorf("%w: from %q must be 1..21 bytes", ErrInvalidMO, mo.From)
	case mo.To == "" || len(mo.To) > 21:
		return fmt.Errorf("%w: to %q must be 1..21 bytes", ErrInvalidMO, mo.To)
	case len(mo.ServiceID) > 10:
		return fmt.Errorf("%w: service_id %q longer than 10 bytes", ErrInvalidMO, mo.ServiceID)
	case len(mo.LinkID) > 20:
		return fmt.Errorf("%w: link_id longer than 20 bytes", ErrInvalidMO)
	}
	enc, err := content.ParseEncoding(mo.Encoding)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMO, err)
	}
	msg, err := content.NewSplitter(content.Options{Encoding: enc, UDH16: mo.UDH16, MaxSegments: mo.MaxSegments}).Split(mo.Text)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMO, err)
	}

	now := time.Now()
	jobs := make([]*deliverJob, len(msg.Segments))
	for i, seg := range msg.Segments {
		j := &deliverJob{
			acct: acct, kind: jobMO, id: s.ids.next(1, now),
			destID: mo.To, serviceID: mo.ServiceID, srcTerminalID: mo.From,
			content: seg.Content, msgFmt: msg.MsgFmt, linkID: mo.LinkID,
		}
		if seg.UDHI {
			j.tpUDHI = 1
		}
		jobs[i] = j
	}
	acct.mu.Lock()
	if acct.removed {
		acct.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownAccount, mo.SPID)
	}
	if len(acct.links) == 0 {
		acct.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrNoLink, mo.SPID)
	}
	for _, j := range jobs {
		j.prefer = acct.pickLocked(nil)
	}
	acct.mu.Unlock()
	acct.stats.moQueued.Add(int64(len(jobs)))
	for _, j := range jobs {
		acct.dispatch(j)
	}
	if ev := s.log.Debug(); ev.Enabled() {
		ev.Str("sp_id", mo.SPID).Str("from", mo.From).Str("to", mo.To).Int("segments", len(jobs)).Msg("MO injected")
	}
	return nil
}
