package cmpp

// Connect is CMPP_CONNECT (§3.1): the SP's login, identical in 2.0 and 3.0.
type Connect struct {
	SourceAddr          string   // OS(6): SP_Id / login account
	AuthenticatorSource [16]byte // MD5, see AuthenticatorSource
	Version             Version  // version the SP asks for
	Timestamp           uint32   // MMDDHHMMSS as a decimal number
}

// ConnectResp is CMPP_CONNECT_RESP (§3.2). Status is 1 byte in 2.0 and 4 in
// 3.0; decoding picks the layout from the body length (18 or 21).
type ConnectResp struct {
	Status            uint32
	AuthenticatorISMG [16]byte
	Version           Version // highest version the ISMG supports
}

const (
	connectBodyLen       = 6 + 16 + 1 + 4
	connectResp20BodyLen = 1 + 16 + 1
	connectResp30BodyLen = 4 + 16 + 1
)

// CommandID returns CmdConnect.
func (*Connect) CommandID() CommandID { return CmdConnect }

// BodyLen returns 27 in every version.
func (*Connect) BodyLen(Version) int { return connectBodyLen }

// AppendBody appends the CONNECT body; v does not change the layout.
func (p *Connect) AppendBody(b []byte, _ Version) ([]byte, error) {
	e := encoder{b: b, pdu: "CONNECT"}
	e.os("Source_Addr", p.SourceAddr, 6)
	e.raw(p.AuthenticatorSource[:])
	e.u8(uint8(p.Version))
	e.u32(p.Timestamp)
	return e.done()
}

// DecodeBody decodes a 27-byte CONNECT body.
func (p *Connect) DecodeBody(body []byte, _ Version) error {
	d := decoder{b: body, pdu: "CONNECT"}
	p.SourceAddr = d.os("Source_Addr", 6)
	d.fixed("AuthenticatorSource", p.AuthenticatorSource[:])
	p.Version = Version(d.u8("Version"))
	p.Timestamp = d.u32("Timestamp")
	return d.done()
}

// CommandID returns CmdConnectResp.
func (*ConnectResp) CommandID() CommandID { return CmdConnectResp }

// BodyLen returns 18 in 2.0 and 21 in 3.0.
func (*ConnectResp) BodyLen(v Version) int { return layoutFor(v).resultLen + 16 + 1 }

// AppendBody appends the body with a 1-byte (2.0) or 4-byte (3.0) Status.
func (p *ConnectResp) AppendBody(b []byte, v Version) ([]byte, error) {
	e := encoder{b: b, pdu: "CONNECT_RESP"}
	e.uint("Status", p.Status, layoutFor(v).resultLen)
	e.raw(p.AuthenticatorISMG[:])
	e.u8(uint8(p.Version))
	return e.done()
}

// DecodeBody picks the layout from len(body): 18 → 2.0, 21 → 3.0.
func (p *ConnectResp) DecodeBody(body []byte, _ Version) error {
	var width int
	switch len(body) {
	case connectResp20BodyLen:
		width = 1
	case connectResp30BodyLen:
		width = 4
	default:
		return badLength("CONNECT_RESP", len(body), connectResp20BodyLen, connectResp30BodyLen)
	}
	d := decoder{b: body, pdu: "CONNECT_RESP"}
	p.Status = d.uint("Status", width)
	d.fixed("AuthenticatorISMG", p.AuthenticatorISMG[:])
	p.Version = Version(d.u8("Version"))
	return d.done()
}
