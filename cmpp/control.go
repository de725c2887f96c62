package cmpp

// ActiveTest is CMPP_ACTIVE_TEST: link keep-alive, no body.
type ActiveTest struct{}

// ActiveTestResp is CMPP_ACTIVE_TEST_RESP: one reserved byte, sent as 0.
// A 12-byte response without it is accepted (§11.9).
type ActiveTestResp struct {
	Reserved uint8
}

// Terminate is CMPP_TERMINATE: logout, no body.
type Terminate struct{}

// TerminateResp is CMPP_TERMINATE_RESP: no body.
type TerminateResp struct{}

// emptyBody checks that a body-less PDU has no body.
func emptyBody(pdu string, body []byte) error {
	d := decoder{b: body, pdu: pdu}
	return d.done()
}

// CommandID returns CmdActiveTest.
func (*ActiveTest) CommandID() CommandID { return CmdActiveTest }

// BodyLen returns 0.
func (*ActiveTest) BodyLen(Version) int { return 0 }

// AppendBody appends nothing.
func (*ActiveTest) AppendBody(b []byte, _ Version) ([]byte, error) { return b, nil }

// DecodeBody accepts only an empty body.
func (*ActiveTest) DecodeBody(body []byte, _ Version) error { return emptyBody("ACTIVE_TEST", body) }

// CommandID returns CmdActiveTestResp.
func (*ActiveTestResp) CommandID() CommandID { return CmdActiveTestResp }

// BodyLen returns 1: the Reserved byte is always sent.
func (*ActiveTestResp) BodyLen(Version) int { return 1 }

// AppendBody appends the Reserved byte.
func (p *ActiveTestResp) AppendBody(b []byte, _ Version) ([]byte, error) {
	return append(b, p.Reserved), nil
}

// DecodeBody accepts a 1-byte body or, from gateways that omit Reserved
// (§11.9), an empty one (Reserved then reads 0).
func (p *ActiveTestResp) DecodeBody(body []byte, _ Version) error {
	p.Reserved = 0
	if len(body) == 0 {
		return nil
	}
	d := decoder{b: body, pdu: "ACTIVE_TEST_RESP"}
	p.Reserved = d.u8("Reserved")
	return d.done()
}

// CommandID returns CmdTerminate.
func (*Terminate) CommandID() CommandID { return CmdTerminate }

// BodyLen returns 0.
func (*Terminate) BodyLen(Version) int { return 0 }

// AppendBody appends nothing.
func (*Terminate) AppendBody(b []byte, _ Version) ([]byte, error) { return b, nil }

// DecodeBody accepts only an empty body.
func (*Terminate) DecodeBody(body []byte, _ Version) error { return emptyBody("TERMINATE", body) }

// CommandID returns CmdTerminateResp.
func (*TerminateResp) CommandID() CommandID { return CmdTerminateResp }

// BodyLen returns 0.
func (*TerminateResp) BodyLen(Version) int { return 0 }

// AppendBody appends nothing.
func (*TerminateResp) AppendBody(b []byte, _ Version) ([]byte, error) { return b, nil }

// DecodeBody accepts only an empty body.
func (*TerminateResp) DecodeBody(body []byte, _ Version) error {
	return emptyBody("TERMINATE_RESP", body)
}
