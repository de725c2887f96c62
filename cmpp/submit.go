package cmpp

import "fmt"

// Submit is CMPP_SUBMIT (§4.1). Fields marked 3.0 are neither encoded nor
// decoded in 2.0; Reserve (2.0) and LinkID (3.0) share the LinkID field.
type Submit struct {
	MsgID              MsgID  // 0 when sent by an SP; ignored by the ISMG
	PkTotal            uint8  // segments in this message, ≥1
	PkNumber           uint8  // index of this segment, 1..PkTotal
	RegisteredDelivery uint8  // 1 = status report wanted
	MsgLevel           uint8  // priority
	ServiceID          string // OS(10)
	FeeUserType        uint8  // 0 dest, 1 source, 2 SP, 3 FeeTerminalID
	FeeTerminalID      string // OS(21) in 2.0, OS(32) in 3.0
	FeeTerminalType    uint8  // 3.0 only: 0 real, 1 pseudo
	TPPID              uint8
	TPUDHI             uint8    // 1 = MsgContent starts with a UDH
	MsgFmt             uint8    // 0 ASCII, 4 binary, 8 UCS2, 15 GBK
	MsgSrc             string   // OS(6): SP_Id
	FeeType            string   // OS(2): "01" free, "02" per message, …
	FeeCode            string   // OS(6): fee in fen
	ValidTime          string   // OS(17): ValId_Time, SMPP time format
	AtTime             string   // OS(17): scheduled time
	SrcID              string   // OS(21): service code + extension
	DestTerminalIDs    []string // 1..99 recipients, OS(21) in 2.0, OS(32) in 3.0
	DestTerminalType   uint8    // 3.0 only
	MsgContent         []byte   // at most 255 bytes on the wire (Msg_Length is U8)
	LinkID             string   // OS(8) Reserve in 2.0, OS(20) LinkID in 3.0
}

// SubmitResp is CMPP_SUBMIT_RESP (§4.2). Result is 1 byte in 2.0 and 4 in
// 3.0; decoding picks the layout from the body length (9 or 12).
type SubmitResp struct {
	MsgID  MsgID
	Result uint32
}

// MaxDestUsers is the largest DestUsr_tl the spec allows ("fewer than 100").
const MaxDestUsers = 99

// submitFixedLen is the body length without the recipients, the 3.0-only
// one-byte fields, Msg_Content and the Reserve/LinkID tail: Msg_Id 8,
// Pk_total, Pk_number, Registered_Delivery, Msg_level 4, Service_Id 10,
// Fee_UserType 1, TP_pId, TP_udhi, Msg_Fmt 3, Msg_src 6, FeeType 2,
// FeeCode 6, ValId_Time 17, At_Time 17, Src_Id 21, DestUsr_tl 1, Msg_Length 1.
const submitFixedLen = 8 + 4 + 10 + 1 + 3 + 6 + 2 + 6 + 17 + 17 + 21 + 1 + 1

// CommandID returns CmdSubmit.
func (*Submit) CommandID() CommandID { return CmdSubmit }

// BodyLen returns 126+21n+L in 2.0 and 151+32n+L in 3.0 (Total_Length minus
// the 12-byte header).
func (p *Submit) BodyLen(v Version) int {
	l := layoutFor(v)
	return submitFixedLen + 2*bool8(l.is30) + (1+len(p.DestTerminalIDs))*l.terminalLen +
		len(p.MsgContent) + l.linkIDLen
}

// AppendBody appends the SUBMIT body in the layout of v. DestTerminalIDs
// must hold 1..99 numbers and MsgContent at most 255 bytes.
func (p *Submit) AppendBody(b []byte, v Version) ([]byte, error) {
	l := layoutFor(v)
	e := encoder{b: b, pdu: "SUBMIT"}
	if n := len(p.DestTerminalIDs); n < 1 || n > MaxDestUsers {
		e.fail("DestUsr_tl", fmt.Errorf("%w (%d recipients, want 1..%d)", ErrValueOutOfRange, n, MaxDestUsers))
		return b, e.err
	}
	if len(p.MsgContent) > 0xff {
		e.fail("Msg_Content", fmt.Errorf("%w (%d > 255)", ErrValueTooLong, len(p.MsgContent)))
		return b, e.err
	}
	e.u64(uint64(p.MsgID))
	e.u8(p.PkTotal)
	e.u8(p.PkNumber)
	e.u8(p.RegisteredDelivery)
	e.u8(p.MsgLevel)
	e.os("Service_Id", p.ServiceID, 10)
	e.u8(p.FeeUserType)
	e.os("Fee_terminal_Id", p.FeeTerminalID, l.terminalLen)
	if l.is30 {
		e.u8(p.FeeTerminalType)
	}
	e.u8(p.TPPID)
	e.u8(p.TPUDHI)
	e.u8(p.MsgFmt)
	e.os("Msg_src", p.MsgSrc, 6)
	e.os("FeeType", p.FeeType, 2)
	e.os("FeeCode", p.FeeCode, 6)
	e.os("ValId_Time", p.ValidTime, 17)
	e.os("At_Time", p.AtTime, 17)
	e.os("Src_Id", p.SrcID, 21)
	e.u8(uint8(len(p.DestTerminalIDs))) // checked 1..99 above
	for _, dest := range p.DestTerminalIDs {
		e.os("Dest_terminal_Id", dest, l.terminalLen)
	}
	if l.is30 {
		e.u8(p.DestTerminalType)
	}
	e.u8(uint8(len(p.MsgContent))) // checked ≤ 255 above
	e.raw(p.MsgContent)
	e.os(linkIDName(l), p.LinkID, l.linkIDLen)
	if e.err != nil {
		return b, e.err
	}
	return e.b, nil
}

// linkIDName is the spec's name of the tail field: Reserve in 2.0, LinkID in 3.0.
func linkIDName(l layout) string {
	if l.is30 {
		return "LinkID"
	}
	return "Reserve"
}

// DecodeBody decodes a SUBMIT in the layout of v. The whole body is
// required, including the Reserve/LinkID tail; DestUsr_tl must be 1..99.
func (p *Submit) DecodeBody(body []byte, v Version) error {
	l := layoutFor(v)
	d := decoder{b: body, pdu: "SUBMIT"}
	p.MsgID = MsgID(d.u64("Msg_Id"))
	p.PkTotal = d.u8("Pk_total")
	p.PkNumber = d.u8("Pk_number")
	p.RegisteredDelivery = d.u8("Registered_Delivery")
	p.MsgLevel = d.u8("Msg_level")
	p.ServiceID = d.os("Service_Id", 10)
	p.FeeUserType = d.u8("Fee_UserType")
	p.FeeTerminalID = d.os("Fee_terminal_Id", l.terminalLen)
	p.FeeTerminalType = 0
	if l.is30 {
		p.FeeTerminalType = d.u8("Fee_terminal_type")
	}
	p.TPPID = d.u8("TP_pId")
	p.TPUDHI = d.u8("TP_udhi")
	p.MsgFmt = d.u8("Msg_Fmt")
	p.MsgSrc = d.os("Msg_src", 6)
	p.FeeType = d.os("FeeType", 2)
	p.FeeCode = d.os("FeeCode", 6)
	p.ValidTime = d.os("ValId_Time", 17)
	p.AtTime = d.os("At_Time", 17)
	p.SrcID = d.os("Src_Id", 21)
	n := int(d.u8("DestUsr_tl"))
	p.DestTerminalIDs = nil
	if d.err == nil {
		if n < 1 || n > MaxDestUsers {
			d.fail("DestUsr_tl", fmt.Errorf("%w (%d, want 1..%d)", ErrValueOutOfRange, n, MaxDestUsers))
		} else if err := need(body, d.off, n*l.terminalLen); err != nil {
			d.fail("Dest_terminal_Id", err) // checked before allocating
		} else {
			p.DestTerminalIDs = make([]string, n)
			for i := range p.DestTerminalIDs {
				p.DestTerminalIDs[i] = d.os("Dest_terminal_Id", l.terminalLen)
			}
		}
	}
	p.DestTerminalType = 0
	if l.is30 {
		p.DestTerminalType = d.u8("Dest_terminal_type")
	}
	p.MsgContent = d.bytes("Msg_Content", int(d.u8("Msg_Length")))
	p.LinkID = d.os(linkIDName(l), l.linkIDLen)
	return d.done()
}

const submitRespBodyLen20, submitRespBodyLen30 = 8 + 1, 8 + 4

// CommandID returns CmdSubmitResp.
func (*SubmitResp) CommandID() CommandID { return CmdSubmitResp }

// BodyLen returns 9 in 2.0 and 12 in 3.0.
func (*SubmitResp) BodyLen(v Version) int { return 8 + layoutFor(v).resultLen }

// AppendBody appends Msg_Id and a 1-byte (2.0) or 4-byte (3.0) Result.
func (p *SubmitResp) AppendBody(b []byte, v Version) ([]byte, error) {
	return appendIDResult(b, "SUBMIT_RESP", p.MsgID, p.Result, v)
}

// DecodeBody picks the layout from len(body): 9 → 2.0, 12 → 3.0.
func (p *SubmitResp) DecodeBody(body []byte, _ Version) error {
	var err error
	p.MsgID, p.Result, err = decodeIDResult(body, "SUBMIT_RESP")
	return err
}

// appendIDResult encodes the shared SUBMIT_RESP / DELIVER_RESP layout.
func appendIDResult(b []byte, pdu string, id MsgID, result uint32, v Version) ([]byte, error) {
	e := encoder{b: b, pdu: pdu}
	e.u64(uint64(id))
	e.uint("Result", result, layoutFor(v).resultLen)
	if e.err != nil {
		return b, e.err
	}
	return e.b, nil
}

// decodeIDResult decodes the shared SUBMIT_RESP / DELIVER_RESP layout by length.
func decodeIDResult(body []byte, pdu string) (MsgID, uint32, error) {
	var width int
	switch len(body) {
	case submitRespBodyLen20:
		width = 1
	case submitRespBodyLen30:
		width = 4
	default:
		return 0, 0, badLength(pdu, len(body), submitRespBodyLen20, submitRespBodyLen30)
	}
	d := decoder{b: body, pdu: pdu}
	id := MsgID(d.u64("Msg_Id"))
	result := d.uint("Result", width)
	return id, result, d.done()
}
