package cmpp

// Cancel is CMPP_CANCEL (§6): delete a submitted, not yet delivered message.
type Cancel struct {
	MsgID MsgID // the SUBMIT_RESP Msg_Id
}

// CancelResp is CMPP_CANCEL_RESP (§6). SuccessID is 1 byte in 2.0 and 4 in
// 3.0; decoding picks the layout from the body length (1 or 4).
type CancelResp struct {
	SuccessID uint32 // 0 cancelled, 1 failed
}

// CommandID returns CmdCancel.
func (*Cancel) CommandID() CommandID { return CmdCancel }

// BodyLen returns 8 in every version.
func (*Cancel) BodyLen(Version) int { return 8 }

// AppendBody appends the Msg_Id.
func (p *Cancel) AppendBody(b []byte, _ Version) ([]byte, error) {
	return appendU64(b, uint64(p.MsgID)), nil
}

// DecodeBody decodes an 8-byte CANCEL body.
func (p *Cancel) DecodeBody(body []byte, _ Version) error {
	d := decoder{b: body, pdu: "CANCEL"}
	p.MsgID = MsgID(d.u64("Msg_Id"))
	return d.done()
}

// CommandID returns CmdCancelResp.
func (*CancelResp) CommandID() CommandID { return CmdCancelResp }

// BodyLen returns 1 in 2.0 and 4 in 3.0.
func (*CancelResp) BodyLen(v Version) int { return layoutFor(v).resultLen }

// AppendBody appends a 1-byte (2.0) or 4-byte (3.0) Success_Id.
func (p *CancelResp) AppendBody(b []byte, v Version) ([]byte, error) {
	e := encoder{b: b, pdu: "CANCEL_RESP"}
	e.uint("Success_Id", p.SuccessID, layoutFor(v).resultLen)
	if e.err != nil {
		return b, e.err
	}
	return e.b, nil
}

// DecodeBody picks the width from len(body): 1 → 2.0, 4 → 3.0 (SMSGate
// sends 4 bytes in 2.0 too, §6).
func (p *CancelResp) DecodeBody(body []byte, _ Version) error {
	if len(body) != 1 && len(body) != 4 {
		return badLength("CANCEL_RESP", len(body), 1, 4)
	}
	d := decoder{b: body, pdu: "CANCEL_RESP"}
	p.SuccessID = d.uint("Success_Id", len(body))
	return d.done()
}
