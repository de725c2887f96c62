package cmpp

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// constructors maps each Command_Id to a constructor of its PDU.
var constructors = map[CommandID]func() PDU{
	CmdConnect:        func() PDU { return new(Connect) },
	CmdConnectResp:    func() PDU { return new(ConnectResp) },
	CmdTerminate:      func() PDU { return new(Terminate) },
	CmdTerminateResp:  func() PDU { return new(TerminateResp) },
	CmdSubmit:         func() PDU { return new(Submit) },
	CmdSubmitResp:     func() PDU { return new(SubmitResp) },
	CmdDeliver:        func() PDU { return new(Deliver) },
	CmdDeliverResp:    func() PDU { return new(DeliverResp) },
	CmdQuery:          func() PDU { return new(Query) },
	CmdQueryResp:      func() PDU { return new(QueryResp) },
	CmdCancel:         func() PDU { return new(Cancel) },
	CmdCancelResp:     func() PDU { return new(CancelResp) },
	CmdActiveTest:     func() PDU { return new(ActiveTest) },
	CmdActiveTestResp: func() PDU { return new(ActiveTestResp) },
}

// NewPDU returns a new zero PDU for Command_Id id, or an error wrapping
// ErrUnknownCommand.
func NewPDU(id CommandID) (PDU, error) {
	if c, ok := constructors[id]; ok {
		return c(), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownCommand, id)
}

// Append appends the whole PDU p (header and body in the layout of v) to b,
// with Total_Length computed and Sequence_Id seq. A frame longer than
// MaxFrameLen is an error wrapping ErrFrameTooLong. On error b is returned
// unchanged (its spare capacity may have been written).
func Append(b []byte, v Version, seq uint32, p PDU) ([]byte, error) {
	start := len(b)
	b = slices.Grow(b, HeaderLen+p.BodyLen(v))
	b = append(b, make([]byte, HeaderLen)...)
	out, err := p.AppendBody(b, v)
	if err != nil {
		return b[:start], err
	}
	total := len(out) - start
	if total > MaxFrameLen {
		return b[:start], fmt.Errorf("%w: %s Total_Length %d > %d", ErrFrameTooLong, p.CommandID(), total, MaxFrameLen)
	}
	h := out[start:]
	binary.BigEndian.PutUint32(h[0:], uint32(total))
	binary.BigEndian.PutUint32(h[4:], uint32(p.CommandID()))
	binary.BigEndian.PutUint32(h[8:], seq)
	return out, nil
}

// DecodeHeader reads the 12-byte header at the start of b. It checks that
// Total_Length is at least 12 (ErrFrameTooShort) but not the upper cap,
// which is the FrameReader's job.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("header: %w", truncated(0, HeaderLen, len(b)))
	}
	h := Header{
		TotalLength: binary.BigEndian.Uint32(b[0:]),
		CommandID:   CommandID(binary.BigEndian.Uint32(b[4:])),
		SequenceID:  binary.BigEndian.Uint32(b[8:]),
	}
	if h.TotalLength < HeaderLen {
		return h, fmt.Errorf("%w: Total_Length %d < %d", ErrFrameTooShort, h.TotalLength, HeaderLen)
	}
	return h, nil
}

// Decode decodes one whole PDU (header included); Total_Length must equal
// len(frame). Request layouts follow v; responses whose width differs
// between versions are decoded by their length. The returned PDU does not
// alias frame. When the header is valid it is returned even if the body
// is not, so the caller can log the Sequence_Id.
func Decode(frame []byte, v Version) (Header, PDU, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return h, nil, err
	}
	if int64(h.TotalLength) != int64(len(frame)) {
		return h, nil, fmt.Errorf("%w: Total_Length %d but frame has %d bytes", ErrBadLength, h.TotalLength, len(frame))
	}
	p, err := NewPDU(h.CommandID)
	if err != nil {
		return h, nil, err
	}
	if err := p.DecodeBody(frame[HeaderLen:], v); err != nil {
		return h, nil, err
	}
	return h, p, nil
}
