package cmpp

// Query is CMPP_QUERY (§6): traffic statistics for a day.
type Query struct {
	Time      string // OS(8) YYYYMMDD
	QueryType uint8  // 0 totals, 1 per Service_Id
	QueryCode string // OS(10): Service_Id when QueryType is 1
	Reserve   string // OS(8)
}

// QueryResp is CMPP_QUERY_RESP (§6).
type QueryResp struct {
	Time      string
	QueryType uint8
	QueryCode string
	MTTLMsg   uint32 // MT messages received from the SP
	MTTlusr   uint32 // MT users
	MTScs     uint32 // MT forwarded successfully
	MTWT      uint32 // MT waiting
	MTFL      uint32 // MT failed
	MOScs     uint32 // MO delivered successfully
	MOWT      uint32 // MO waiting
	MOFL      uint32 // MO failed
}

const queryBodyLen, queryRespBodyLen = 8 + 1 + 10 + 8, 8 + 1 + 10 + 8*4

// CommandID returns CmdQuery.
func (*Query) CommandID() CommandID { return CmdQuery }

// BodyLen returns 27 in every version.
func (*Query) BodyLen(Version) int { return queryBodyLen }

// AppendBody appends the QUERY body (same in 2.0 and 3.0).
func (p *Query) AppendBody(b []byte, _ Version) ([]byte, error) {
	e := encoder{b: b, pdu: "QUERY"}
	e.os("Time", p.Time, 8)
	e.u8(p.QueryType)
	e.os("Query_Code", p.QueryCode, 10)
	e.os("Reserve", p.Reserve, 8)
	if e.err != nil {
		return b, e.err
	}
	return e.b, nil
}

// DecodeBody decodes a 27-byte QUERY body.
func (p *Query) DecodeBody(body []byte, _ Version) error {
	d := decoder{b: body, pdu: "QUERY"}
	p.Time = d.os("Time", 8)
	p.QueryType = d.u8("Query_Type")
	p.QueryCode = d.os("Query_Code", 10)
	p.Reserve = d.os("Reserve", 8)
	return d.done()
}

// CommandID returns CmdQueryResp.
func (*QueryResp) CommandID() CommandID { return CmdQueryResp }

// BodyLen returns 51 in every version.
func (*QueryResp) BodyLen(Version) int { return queryRespBodyLen }

// AppendBody appends the QUERY_RESP body (same in 2.0 and 3.0).
func (p *QueryResp) AppendBody(b []byte, _ Version) ([]byte, error) {
	e := encoder{b: b, pdu: "QUERY_RESP"}
	e.os("Time", p.Time, 8)
	e.u8(p.QueryType)
	e.os("Query_Code", p.QueryCode, 10)
	for _, n := range [...]uint32{p.MTTLMsg, p.MTTlusr, p.MTScs, p.MTWT, p.MTFL, p.MOScs, p.MOWT, p.MOFL} {
		e.u32(n)
	}
	if e.err != nil {
		return b, e.err
	}
	return e.b, nil
}

// DecodeBody decodes a 51-byte QUERY_RESP body.
func (p *QueryResp) DecodeBody(body []byte, _ Version) error {
	d := decoder{b: body, pdu: "QUERY_RESP"}
	p.Time = d.os("Time", 8)
	p.QueryType = d.u8("Query_Type")
	p.QueryCode = d.os("Query_Code", 10)
	p.MTTLMsg = d.u32("MT_TLMsg")
	p.MTTlusr = d.u32("MT_Tlusr")
	p.MTScs = d.u32("MT_Scs")
	p.MTWT = d.u32("MT_WT")
	p.MTFL = d.u32("MT_FL")
	p.MOScs = d.u32("MO_Scs")
	p.MOWT = d.u32("MO_WT")
	p.MOFL = d.u32("MO_FL")
	return d.done()
}
