package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// MOPart is one received MO DELIVER (Registered_Delivery 0): a whole
// message (Total 1) or one part of a long message.
type MOPart struct {
	// DeliverMsgID is the DELIVER header's Msg_Id (text form): a DELIVER
	// seen again within DedupTTL (the ISMG resends when it misses the
	// DELIVER_RESP) is dropped. Required.
	DeliverMsgID string
	// Src is Src_terminal_Id (the sender's number); Dest is Dest_Id (the
	// SP service code + extension the user texted).
	Src, Dest string
	// ServiceID, LinkID and MsgFmt are copied from the DELIVER.
	ServiceID, LinkID string
	MsgFmt            uint8
	// Ref, Total and Index come from the UDH (Ref 0, Total 1, Index 1 for
	// a message without UDH).
	Ref, Total, Index int
	// Data is the part's content bytes without the UDH.
	Data []byte
	// CallbackURL, when set, is stored on the sms.mo event.
	CallbackURL string
}

// MO is a complete MO message.
type MO struct {
	// EventID is the sms.mo event created for it.
	EventID string
	// Src, Dest, ServiceID, LinkID and MsgFmt are from the (first) part.
	Src, Dest, ServiceID, LinkID string
	MsgFmt                       uint8
	// Data is the raw content: every part's bytes joined in index order.
	// Decode it as a whole (content.Decode): senders may cut characters.
	Data []byte
	// Parts is the number of parts.
	Parts int
	// FirstAt is when the first part was stored.
	FirstAt time.Time
}

// MOPart stores one MO part in one script, keyed by
// MOPartKey(Src, Dest, Ref, Total) for MOPartTTL. When the message is
// complete (or has one part) it returns the message and queues an sms.mo
// event; otherwise, and for duplicates, it returns nil.
func (s *Store) MOPart(ctx context.Context, channel string, part MOPart) (*MO, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	total := part.Total
	if total < 1 {
		total = 1
	}
	switch {
	case part.DeliverMsgID == "":
		return nil, fmt.Errorf("%w: MOPart.DeliverMsgID: empty", ErrInvalid)
	case total > 255:
		return nil, fmt.Errorf("%w: MOPart.Total %d > 255", ErrInvalid, total)
	case total > 1 && (part.Index < 1 || part.Index > total):
		return nil, fmt.Errorf("%w: MOPart.Index %d out of 1..%d", ErrInvalid, part.Index, total)
	}
	idx := part.Index
	if total == 1 {
		idx = 1
	}
	v, err := s.run(ctx, "mo part", scriptMO,
		[]string{s.keys.MO(channel, MOPartKey(part.Src, part.Dest, part.Ref, total)), s.keys.Dedup(channel, part.DeliverMsgID),
			s.keys.EventQueue(channel)},
		s.keys.Tag(channel), ms(s.now()), secs(s.opts.DedupTTL), secs(s.opts.MOPartTTL), nonce(),
		total, idx, part.Data, part.Src, part.Dest, part.ServiceID, part.LinkID,
		strconv.Itoa(int(part.MsgFmt)), part.CallbackURL)
	if err != nil {
		return nil, err
	}
	a := stringsOf(v)
	if len(a) == 0 {
		return nil, fmt.Errorf("%w: mo reply %v", ErrBadReply, v)
	}
	if a[0] != "done" {
		return nil, nil
	}
	if len(a) != 10 {
		return nil, fmt.Errorf("%w: mo reply of %d values", ErrBadReply, len(a))
	}
	fmtV, _ := strconv.Atoi(a[7])
	parts, _ := strconv.Atoi(a[9])
	return &MO{
		EventID: a[1], Data: []byte(a[2]), Src: a[3], Dest: a[4], ServiceID: a[5],
		LinkID: a[6], MsgFmt: uint8(fmtV), FirstAt: fromMS(a[8]), Parts: parts,
	}, nil
}
