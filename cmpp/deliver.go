package cmpp

import "fmt"

// Deliver is CMPP_DELIVER (§5.1): an MO message (RegisteredDelivery 0) or a
// status report (RegisteredDelivery 1, MsgContent holds a Report; see
// Deliver.Report).
type Deliver struct {
	MsgID              MsgID  // this DELIVER's own id; echoed in DeliverResp
	DestID             string // OS(21)
	ServiceID          string // OS(10)
	TPPID              uint8
	TPUDHI             uint8 // test with &0x41 (§11.8)
	MsgFmt             uint8
	SrcTerminalID      string // OS(21) in 2.0, OS(32) in 3.0
	SrcTerminalType    uint8  // 3.0 only
	RegisteredDelivery uint8  // 0 MO, 1 status report
	MsgContent         []byte
	LinkID             string // OS(8) Reserved in 2.0, OS(20) LinkID in 3.0; may arrive short
}

// DeliverResp is CMPP_DELIVER_RESP (§5.3). Result is 1 byte in 2.0 and 4 in
// 3.0; decoding picks the layout from the body length.
type DeliverResp struct {
	MsgID  MsgID // the DELIVER header's MsgID
	Result uint32
}

// Report is the status report carried in a DELIVER's Msg_Content (§5.2):
// 60 bytes (21-byte Dest_terminal_Id) or 71 bytes (32-byte), chosen by
// length on decode whatever the version.
type Report struct {
	MsgID          MsgID  // equals the SUBMIT_RESP Msg_Id being reported
	Stat           string // OS(7): DELIVRD, UNDELIV, …
	SubmitTime     string // OS(10) YYMMDDHHMM
	DoneTime       string // OS(10) YYMMDDHHMM
	DestTerminalID string // OS(21) or OS(32)
	SMSCSequence   uint32
}

// deliverFixedLen is the DELIVER body length without Src_terminal_Id, the
// 3.0-only Src_terminal_type, Msg_Content and the Reserved/LinkID tail:
// Msg_Id 8, Dest_Id 21, Service_Id 10, TP_pid, TP_udhi, Msg_Fmt 3,
// Registered_Delivery 1, Msg_Length 1.
const deliverFixedLen = 8 + 21 + 10 + 3 + 1 + 1

// Report lengths (Msg_Length of a status-report DELIVER, §5.2).
const (
	ReportLenShort = 60 // 21-byte Dest_terminal_Id (2.0, and some 3.0 gateways)
	ReportLenLong  = 71 // 32-byte Dest_terminal_Id (3.0 final text)
)

// CommandID returns CmdDeliver.
func (*Deliver) CommandID() CommandID { return CmdDeliver }

// BodyLen returns 73+L in 2.0 and 97+L in 3.0.
func (p *Deliver) BodyLen(v Version) int {
	l := layoutFor(v)
	return deliverFixedLen + l.terminalLen + bool8(l.is30) + len(p.MsgContent) + l.linkIDLen
}

// AppendBody appends the DELIVER body in the layout of v. MsgContent must
// be at most 255 bytes.
func (p *Deliver) AppendBody(b []byte, v Version) ([]byte, error) {
	l := layoutFor(v)
	e := encoder{b: b, pdu: "DELIVER"}
	if len(p.MsgContent) > 0xff {
		e.fail("Msg_Content", fmt.Errorf("%w (%d > 255)", ErrValueTooLong, len(p.MsgContent)))
		return b, e.err
	}
	e.u64(uint64(p.MsgID))
	e.os("Dest_Id", p.DestID, 21)
	e.os("Service_Id", p.ServiceID, 10)
	e.u8(p.TPPID)
	e.u8(p.TPUDHI)
	e.u8(p.MsgFmt)
	e.os("Src_terminal_Id", p.SrcTerminalID, l.terminalLen)
	if l.is30 {
		e.u8(p.SrcTerminalType)
	}
	e.u8(p.RegisteredDelivery)
	e.u8(uint8(len(p.MsgContent))) // checked ≤ 255 above
	e.raw(p.MsgContent)
	e.os(deliverTailName(l), p.LinkID, l.linkIDLen)
	if e.err != nil {
		return b, e.err
	}
	return e.b, nil
}

func deliverTailName(l layout) string {
	if l.is30 {
		return "LinkID"
	}
	return "Reserved"
}

// DecodeBody decodes a DELIVER in the layout of v. MsgContent is copied out
// of body. A Reserved/LinkID tail shorter than the layout's (Aspire
// gateways, §5.2) is accepted and decoded from the bytes present.
func (p *Deliver) DecodeBody(body []byte, v Version) error {
	l := layoutFor(v)
	d := decoder{b: body, pdu: "DELIVER"}
	p.MsgID = MsgID(d.u64("Msg_Id"))
	p.DestID = d.os("Dest_Id", 21)
	p.ServiceID = d.os("Service_Id", 10)
	p.TPPID = d.u8("TP_pid")
	p.TPUDHI = d.u8("TP_udhi")
	p.MsgFmt = d.u8("Msg_Fmt")
	p.SrcTerminalID = d.os("Src_terminal_Id", l.terminalLen)
	p.SrcTerminalType = 0
	if l.is30 {
		p.SrcTerminalType = d.u8("Src_terminal_type")
	}
	p.RegisteredDelivery = d.u8("Registered_Delivery")
	p.MsgContent = d.bytes("Msg_Content", int(d.u8("Msg_Length")))
	tail := l.linkIDLen
	if d.err == nil && d.remaining() < tail {
		tail = d.remaining()
	}
	p.LinkID = d.os(deliverTailName(l), tail)
	return d.done()
}

// Report decodes the status report carried in MsgContent. The layout comes
// from Msg_Length whatever the version: 60 bytes → 21-byte
// Dest_terminal_Id, 71 → 32-byte (§5.2, §11.5).
func (p *Deliver) Report() (*Report, error) {
	if p.RegisteredDelivery != 1 {
		return nil, &FieldError{PDU: "DELIVER", Field: "Registered_Delivery",
			Err: fmt.Errorf("%w (%d)", ErrNotReport, p.RegisteredDelivery)}
	}
	r := new(Report)
	if err := r.decode(p.MsgContent); err != nil {
		return nil, err
	}
	return r, nil
}

// SetReport makes p a status-report DELIVER carrying r: it sets
// RegisteredDelivery to 1 and MsgContent to r encoded in the 60-byte layout
// when short is set, else the 71-byte one. A 2.0 ISMG sends short reports;
// a 3.0 ISMG sends long ones unless it mimics Aspire gateways.
func (p *Deliver) SetReport(r *Report, short bool) error {
	content, err := r.Append(make([]byte, 0, ReportLenLong), short)
	if err != nil {
		return err
	}
	p.RegisteredDelivery = 1
	p.MsgContent = content
	return nil
}

func reportDestLen(short bool) int {
	if short {
		return 21
	}
	return 32
}

// Append appends r as a report Msg_Content: 60 bytes with a 21-byte
// Dest_terminal_Id when short is set, else 71 bytes with a 32-byte one.
func (r *Report) Append(b []byte, short bool) ([]byte, error) {
	e := encoder{b: b, pdu: "REPORT"}
	e.u64(uint64(r.MsgID))
	e.os("Stat", r.Stat, 7)
	e.os("Submit_time", r.SubmitTime, 10)
	e.os("Done_time", r.DoneTime, 10)
	e.os("Dest_terminal_Id", r.DestTerminalID, reportDestLen(short))
	e.u32(r.SMSCSequence)
	if e.err != nil {
		return b, e.err
	}
	return e.b, nil
}

// decode decodes a 60- or 71-byte report.
func (r *Report) decode(b []byte) error {
	var destLen int
	switch len(b) {
	case ReportLenShort:
		destLen = 21
	case ReportLenLong:
		destLen = 32
	default:
		return &FieldError{PDU: "DELIVER", Field: "Msg_Length",
			Err: fmt.Errorf("%w (report of %d bytes, want %d or %d)", ErrBadLength, len(b), ReportLenShort, ReportLenLong)}
	}
	d := decoder{b: b, pdu: "REPORT"}
	r.MsgID = MsgID(d.u64("Msg_Id"))
	r.Stat = d.os("Stat", 7)
	r.SubmitTime = d.os("Submit_time", 10)
	r.DoneTime = d.os("Done_time", 10)
	r.DestTerminalID = d.os("Dest_terminal_Id", destLen)
	r.SMSCSequence = d.u32("SMSC_sequence")
	return d.done()
}

// CommandID returns CmdDeliverResp.
func (*DeliverResp) CommandID() CommandID { return CmdDeliverResp }

// BodyLen returns 9 in 2.0 and 12 in 3.0.
func (*DeliverResp) BodyLen(v Version) int { return 8 + layoutFor(v).resultLen }

// AppendBody appends Msg_Id and a 1-byte (2.0) or 4-byte (3.0) Result.
func (p *DeliverResp) AppendBody(b []byte, v Version) ([]byte, error) {
	return appendIDResult(b, "DELIVER_RESP", p.MsgID, p.Result, v)
}

// DecodeBody picks the layout from len(body): 9 → 2.0, 12 → 3.0.
func (p *DeliverResp) DecodeBody(body []byte, _ Version) error {
	var err error
	p.MsgID, p.Result, err = decodeIDResult(body, "DELIVER_RESP")
	return err
}
