package cmpp

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// samplePDUs returns one filled PDU of every type, valid in both versions.
func samplePDUs() []PDU {
	return []PDU{
		&Connect{SourceAddr: "900001", AuthenticatorSource: [16]byte{1, 2, 3, 15: 0xff}, Version: V30, Timestamp: 1122101010},
		&ConnectResp{Status: 3, AuthenticatorISMG: [16]byte{9, 15: 7}, Version: V30},
		&Terminate{},
		&TerminateResp{},
		&Submit{
			MsgID: 0, PkTotal: 2, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 9, ServiceID: "TESTSVC123",
			FeeUserType: 3, FeeTerminalID: "13900139000", FeeTerminalType: 0, TPPID: 0, TPUDHI: 1, MsgFmt: 8,
			MsgSrc: "900001", FeeType: "02", FeeCode: "10", ValidTime: "251122181000032+", AtTime: "",
			SrcID: "106580000112345", DestTerminalIDs: []string{"13800138000", "13800138001", "8613800138002"},
			MsgContent: append([]byte{5, 0, 3, 0x2a, 2, 1}, bytes.Repeat([]byte{0x4f, 0x60}, 67)...),
			LinkID:     "",
		},
		&SubmitResp{MsgID: golden123MsgID, Result: 13},
		&Deliver{
			MsgID: 0xBB28A3C003E90002, DestID: "1065800001123", ServiceID: "TEST", TPPID: 0, TPUDHI: 0,
			MsgFmt: 15, SrcTerminalID: "13800138000", RegisteredDelivery: 0, MsgContent: []byte("hello"),
		},
		&DeliverResp{MsgID: 0xBB28A3C003E90002, Result: 9},
		&Query{Time: "20251122", QueryType: 1, QueryCode: "TEST", Reserve: ""},
		&QueryResp{Time: "20251122", QueryType: 1, QueryCode: "TEST", MTTLMsg: 1, MTTlusr: 2, MTScs: 3, MTWT: 4, MTFL: 5, MOScs: 6, MOWT: 7, MOFL: 8},
		&Cancel{MsgID: golden123MsgID},
		&CancelResp{SuccessID: 1},
		&ActiveTest{},
		&ActiveTestResp{},
	}
}

// with30Fields sets the 3.0-only fields and the values that only fit the
// 3.0 widths; 2.0 neither sends nor decodes them.
func with30Fields(p PDU) PDU {
	switch p := p.(type) {
	case *Submit:
		p.FeeTerminalID = strings.Repeat("x", 32)
		p.FeeTerminalType = 1
		p.DestTerminalType = 1
		p.DestTerminalIDs[0] = strings.Repeat("p", 32)
		p.LinkID = "LINK0123456789ABCDEF"
	case *Deliver:
		p.SrcTerminalID = strings.Repeat("y", 32)
		p.SrcTerminalType = 1
		p.LinkID = "LINK0123456789ABCDEF"
	case *ConnectResp:
		p.Status = 70000
	case *SubmitResp:
		p.Result = 1 << 20
	case *CancelResp:
		p.SuccessID = 1 << 24
	}
	return p
}

func TestRoundTrip(t *testing.T) {
	for _, v := range []Version{V20, V21, V30} {
		for _, p := range samplePDUs() {
			if v.Is30() {
				p = with30Fields(p)
			}
			t.Run(v.String()+"/"+p.CommandID().String(), func(t *testing.T) {
				frame, err := Append([]byte{0xee}, v, 0xfffffffe, p) // non-empty prefix kept
				if err != nil {
					t.Fatal(err)
				}
				if frame[0] != 0xee {
					t.Fatal("prefix overwritten")
				}
				frame = frame[1:]
				if len(frame) != HeaderLen+p.BodyLen(v) {
					t.Errorf("len %d, BodyLen says %d", len(frame), HeaderLen+p.BodyLen(v))
				}
				h, got, err := Decode(frame, v)
				if err != nil {
					t.Fatal(err)
				}
				if h.SequenceID != 0xfffffffe || h.CommandID != p.CommandID() {
					t.Errorf("header %+v", h)
				}
				if !reflect.DeepEqual(got, p) {
					t.Errorf("round trip:\n got %+v\nwant %+v", got, p)
				}
				// Every proper prefix, with Total_Length fixed up, is an
				// error, never a panic (except the tolerated short DELIVER
				// tail and the 12-byte ACTIVE_TEST_RESP).
				for n := HeaderLen; n < len(frame); n++ {
					_, _, err := Decode(shortened(frame, len(frame)-n), v)
					tolerated := p.CommandID() == CmdDeliver && len(frame)-n <= layoutFor(v).linkIDLen ||
						p.CommandID() == CmdActiveTestResp ||
						p.CommandID().IsResponse() && n == HeaderLen+p.BodyLen(V20) // the 2.0 width
					if err == nil && !tolerated {
						t.Fatalf("Decode of %d-byte prefix succeeded", n)
					}
				}
			})
		}
	}
}

// TestLayoutSizes checks every §13 size.
func TestLayoutSizes(t *testing.T) {
	cases := []struct {
		p        PDU
		l20, l30 int
	}{
		{&ConnectResp{}, 30, 33},
		{&SubmitResp{}, 21, 24},
		{&DeliverResp{}, 21, 24},
		{&CancelResp{}, 13, 16},
		{&ActiveTestResp{}, 13, 13},
		{&ActiveTest{}, 12, 12},
		{&Terminate{}, 12, 12},
		{&TerminateResp{}, 12, 12},
		{&Connect{}, 39, 39},
		{&Query{}, 39, 39},
		{&QueryResp{}, 63, 63},
		{&Cancel{}, 20, 20},
		{&Submit{DestTerminalIDs: []string{"1"}, MsgContent: make([]byte, 140)}, 299, 335},
		{&Deliver{MsgContent: make([]byte, 60)}, 145, 169},
		{&Deliver{MsgContent: make([]byte, 71)}, 156, 180},
	}
	for _, c := range cases {
		for _, v := range []Version{V20, V30} {
			want := c.l20
			if v.Is30() {
				want = c.l30
			}
			b, err := Append(nil, v, 1, c.p)
			if err != nil {
				t.Fatalf("%s %s: %v", v, c.p.CommandID(), err)
			}
			if len(b) != want {
				t.Errorf("%s %s: %d bytes, want %d", v, c.p.CommandID(), len(b), want)
			}
		}
	}
	// The largest SUBMIT the spec allows: 99 recipients, 159-byte content.
	big := &Submit{DestTerminalIDs: make([]string, 99), MsgContent: make([]byte, 159)}
	for v, want := range map[Version]int{V20: 2376, V30: 3490} {
		b, err := Append(nil, v, 1, big)
		if err != nil || len(b) != want {
			t.Errorf("%s max SUBMIT: %d bytes, %v; want %d", v, len(b), err, want)
		}
	}
}

func TestResponsesDecodeByLength(t *testing.T) {
	for _, p := range []PDU{&ConnectResp{Status: 4}, &SubmitResp{MsgID: 5, Result: 8}, &DeliverResp{MsgID: 6}, &CancelResp{SuccessID: 1}} {
		for _, enc := range []Version{V20, V30} {
			for _, dec := range []Version{V20, V30} {
				b, err := Append(nil, enc, 1, p)
				if err != nil {
					t.Fatal(err)
				}
				_, got, err := Decode(b, dec)
				if err != nil || !reflect.DeepEqual(got, p) {
					t.Errorf("%s encoded %s decoded %s: %+v, %v", p.CommandID(), enc, dec, got, err)
				}
			}
		}
	}
	// ACTIVE_TEST_RESP without its Reserved byte (§11.9).
	_, p, err := Decode(unhex(t, "0000000c800000080000000a"), V30)
	if err != nil || *p.(*ActiveTestResp) != (ActiveTestResp{}) {
		t.Errorf("12-byte ACTIVE_TEST_RESP: %+v, %v", p, err)
	}
	// Widths matching no layout.
	for _, h := range []string{
		"0000000e800000010000000a0000",                       // CONNECT_RESP, 2-byte body
		"00000019800000040000000a00000000000000000000000000", // SUBMIT_RESP, 13-byte body
		"00000016800000050000000a00000000000000000000",       // DELIVER_RESP, 10-byte body
		"0000000e800000070000000a0000",                       // CANCEL_RESP, 2-byte body
		"0000000e800000080000000a0000",                       // ACTIVE_TEST_RESP, 2-byte body
		"0000000d800000020000000a00",                         // TERMINATE_RESP with a body
		"000000148000000100000000000000000000000000000000",   // CONNECT_RESP, 8-byte body
	} {
		_, p, err := Decode(unhex(t, h), V30)
		if !errors.Is(err, ErrBadLength) && !errors.Is(err, ErrTrailingBytes) && !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: err %v", h, err)
		}
		if p != nil {
			t.Errorf("%s: PDU returned with error", h)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	valid, err := Append(nil, V30, 1, golden125())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		frame []byte
		want  error
		text  string
	}{
		{"short header", valid[:11], ErrTruncated, "header: truncated"},
		{"Total_Length below 12", unhex(t, "0000000b0000000800000001"), ErrFrameTooShort, ""},
		{"Total_Length mismatch", append(bytes.Clone(valid), 0), ErrBadLength, "Total_Length 199 but frame has 200 bytes"},
		{"unknown command", unhex(t, "0000000c0000000900000001"), ErrUnknownCommand, "COMMAND_0x00000009"},
		{"trailing bytes", unhex(t, "0000000d000000080000000100"), ErrTrailingBytes, "ACTIVE_TEST.Total_Length: trailing bytes"},
		{"CONNECT truncated", unhex(t, "00000010000000010000000139303132"), ErrTruncated, "CONNECT.Source_Addr: truncated"},
	}
	for _, c := range cases {
		_, p, err := Decode(c.frame, V30)
		if !errors.Is(err, c.want) || p != nil {
			t.Errorf("%s: p=%v err=%v, want %v", c.name, p, err, c.want)
			continue
		}
		if c.text != "" && !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.text)
		}
	}
	// The header is returned with a body error, for logging the Sequence_Id.
	h, _, err := Decode(unhex(t, "0000000d000000080000002a00"), V30)
	if err == nil || h.SequenceID != 42 {
		t.Errorf("header with body error: %+v %v", h, err)
	}
}

func TestSubmitDecodeErrors(t *testing.T) {
	valid, err := Append(nil, V30, 1, golden125())
	if err != nil {
		t.Fatal(err)
	}
	const destUsrOff = 140 // DestUsr_tl in the 3.0 layout (§4.1)
	set := func(off int, val byte) []byte {
		b := bytes.Clone(valid)
		b[off] = val
		return b
	}
	cases := []struct {
		name  string
		frame []byte
		want  error
		text  string
	}{
		{"DestUsr_tl 0", set(destUsrOff, 0), ErrValueOutOfRange, "SUBMIT.DestUsr_tl: value out of range (0, want 1..99)"},
		{"DestUsr_tl 100", set(destUsrOff, 100), ErrValueOutOfRange, "SUBMIT.DestUsr_tl"},
		// 50 recipients announced, the frame holds one: rejected before allocating.
		{"DestUsr_tl beyond frame", set(destUsrOff, 50), ErrTruncated, "SUBMIT.Dest_terminal_Id: truncated (need 1600 bytes"},
		{"Msg_Length beyond frame", set(174, 200), ErrTruncated, "SUBMIT.Msg_Content: truncated"},
		{"LinkID short", shortened(valid, 1), ErrTruncated, "SUBMIT.LinkID: truncated"},
	}
	for _, c := range cases {
		_, _, err := Decode(c.frame, V30)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: err %v, want %v containing %q", c.name, err, c.want, c.text)
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.PDU != "SUBMIT" {
			t.Errorf("%s: %T is not a SUBMIT FieldError", c.name, err)
		}
	}
	// The 2.0 tail is called Reserve.
	v20, _ := Append(nil, V20, 1, golden125())
	if _, _, err := Decode(shortened(v20, 3), V20); err == nil || !strings.Contains(err.Error(), "SUBMIT.Reserve: truncated") {
		t.Errorf("2.0 short Reserve: %v", err)
	}
}

// shortened drops n bytes from the end of frame and fixes Total_Length.
func shortened(frame []byte, n int) []byte {
	b := bytes.Clone(frame[:len(frame)-n])
	b[0], b[1], b[2], b[3] = byte(len(b)>>24), byte(len(b)>>16), byte(len(b)>>8), byte(len(b))
	return b
}

func TestDeliverShortTail(t *testing.T) {
	d := &Deliver{MsgID: 1, SrcTerminalID: "13800138000", MsgContent: []byte("hi"), LinkID: "ABCDEFGHIJ"}
	full, err := Append(nil, V30, 1, d)
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut <= 20; cut++ {
		_, p, err := Decode(shortened(full, cut), V30)
		if err != nil {
			t.Fatalf("tail short by %d: %v", cut, err)
		}
		want := "ABCDEFGHIJ"
		if 20-cut < len(want) {
			want = want[:20-cut]
		}
		if got := p.(*Deliver).LinkID; got != want {
			t.Errorf("tail short by %d: LinkID %q, want %q", cut, got, want)
		}
	}
	// Cutting into Msg_Content is not a tolerable tail.
	if _, _, err := Decode(shortened(full, 21), V30); !errors.Is(err, ErrTruncated) {
		t.Errorf("content cut: %v", err)
	}
	// A longer tail is an error.
	long := append(bytes.Clone(full), 0)
	long[3]++
	if _, _, err := Decode(long, V30); !errors.Is(err, ErrTrailingBytes) {
		t.Errorf("long tail: %v", err)
	}
}

func TestDeliverContentNotAliased(t *testing.T) {
	frame := unhex(t, golden124Deliver)
	_, p, err := Decode(frame, V20)
	if err != nil {
		t.Fatal(err)
	}
	before := bytes.Clone(p.(*Deliver).MsgContent)
	for i := range frame {
		frame[i] = 0xAA
	}
	if !bytes.Equal(p.(*Deliver).MsgContent, before) {
		t.Fatal("MsgContent aliases the frame buffer")
	}
}

func TestEncodeErrorsNameTheField(t *testing.T) {
	long := func(n int) string { return strings.Repeat("1", n) }
	one := []string{"1"}
	cases := []struct {
		v    Version
		p    PDU
		want error
		text string
	}{
		{V20, &Submit{DestTerminalIDs: []string{long(25)}}, ErrValueTooLong, "SUBMIT.Dest_terminal_Id: value too long (25 > 21)"},
		{V30, &Submit{DestTerminalIDs: []string{long(33)}}, ErrValueTooLong, "SUBMIT.Dest_terminal_Id: value too long (33 > 32)"},
		{V30, &Submit{DestTerminalIDs: one, ServiceID: long(11)}, ErrValueTooLong, "SUBMIT.Service_Id: value too long (11 > 10)"},
		{V20, &Submit{DestTerminalIDs: one, FeeTerminalID: long(22)}, ErrValueTooLong, "SUBMIT.Fee_terminal_Id: value too long (22 > 21)"},
		{V30, &Submit{DestTerminalIDs: one, MsgSrc: long(7)}, ErrValueTooLong, "SUBMIT.Msg_src: value too long (7 > 6)"},
		{V30, &Submit{DestTerminalIDs: one, FeeType: long(3)}, ErrValueTooLong, "SUBMIT.FeeType: value too long (3 > 2)"},
		{V30, &Submit{DestTerminalIDs: one, FeeCode: long(7)}, ErrValueTooLong, "SUBMIT.FeeCode: value too long (7 > 6)"},
		{V30, &Submit{DestTerminalIDs: one, ValidTime: long(18)}, ErrValueTooLong, "SUBMIT.ValId_Time: value too long (18 > 17)"},
		{V30, &Submit{DestTerminalIDs: one, AtTime: long(18)}, ErrValueTooLong, "SUBMIT.At_Time: value too long (18 > 17)"},
		{V30, &Submit{DestTerminalIDs: one, SrcID: long(22)}, ErrValueTooLong, "SUBMIT.Src_Id: value too long (22 > 21)"},
		{V30, &Submit{DestTerminalIDs: one, LinkID: long(21)}, ErrValueTooLong, "SUBMIT.LinkID: value too long (21 > 20)"},
		{V20, &Submit{DestTerminalIDs: one, LinkID: long(9)}, ErrValueTooLong, "SUBMIT.Reserve: value too long (9 > 8)"},
		{V30, &Submit{DestTerminalIDs: one, MsgContent: make([]byte, 256)}, ErrValueTooLong, "SUBMIT.Msg_Content: value too long (256 > 255)"},
		{V30, &Submit{}, ErrValueOutOfRange, "SUBMIT.DestUsr_tl: value out of range (0 recipients, want 1..99)"},
		{V30, &Submit{DestTerminalIDs: make([]string, 100)}, ErrValueOutOfRange, "SUBMIT.DestUsr_tl: value out of range (100 recipients, want 1..99)"},
		{V30, &Deliver{MsgContent: make([]byte, 256)}, ErrValueTooLong, "DELIVER.Msg_Content: value too long (256 > 255)"},
		{V20, &Deliver{SrcTerminalID: long(22)}, ErrValueTooLong, "DELIVER.Src_terminal_Id: value too long (22 > 21)"},
		{V30, &Deliver{DestID: long(22)}, ErrValueTooLong, "DELIVER.Dest_Id: value too long (22 > 21)"},
		{V20, &Deliver{LinkID: long(9)}, ErrValueTooLong, "DELIVER.Reserved: value too long (9 > 8)"},
		{V30, &Connect{SourceAddr: "9000011"}, ErrValueTooLong, "CONNECT.Source_Addr: value too long (7 > 6)"},
		{V20, &ConnectResp{Status: 256}, ErrValueOutOfRange, "CONNECT_RESP.Status: value out of range (256 > 255)"},
		{V20, &SubmitResp{Result: 300}, ErrValueOutOfRange, "SUBMIT_RESP.Result: value out of range (300 > 255)"},
		{V20, &DeliverResp{Result: 300}, ErrValueOutOfRange, "DELIVER_RESP.Result: value out of range (300 > 255)"},
		{V20, &CancelResp{SuccessID: 300}, ErrValueOutOfRange, "CANCEL_RESP.Success_Id: value out of range (300 > 255)"},
		{V30, &Query{Time: "202511220"}, ErrValueTooLong, "QUERY.Time: value too long (9 > 8)"},
		{V30, &QueryResp{QueryCode: long(11)}, ErrValueTooLong, "QUERY_RESP.Query_Code: value too long (11 > 10)"},
	}
	for _, c := range cases {
		out, err := Append([]byte("keep"), c.v, 1, c.p)
		if !errors.Is(err, c.want) || err.Error() != c.text {
			t.Errorf("%s %s: err %v, want %q", c.v, c.p.CommandID(), err, c.text)
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.PDU != c.p.CommandID().String() {
			t.Errorf("%s %s: %#v is not a FieldError of this PDU", c.v, c.p.CommandID(), err)
		}
		if string(out) != "keep" {
			t.Errorf("%s %s: on error Append returned %q", c.v, c.p.CommandID(), out)
		}
	}
}

func TestDestUsrBounds(t *testing.T) {
	for _, n := range []int{1, 2, 98, 99} {
		s := &Submit{DestTerminalIDs: make([]string, n), MsgContent: []byte("x")}
		for i := range s.DestTerminalIDs {
			s.DestTerminalIDs[i] = "138001" + strings.Repeat("3", i%5)
		}
		for _, v := range []Version{V20, V30} {
			b, err := Append(nil, v, 1, s)
			if err != nil {
				t.Fatalf("n=%d %s: %v", n, v, err)
			}
			_, p, err := Decode(b, v)
			if err != nil || !reflect.DeepEqual(p.(*Submit).DestTerminalIDs, s.DestTerminalIDs) {
				t.Errorf("n=%d %s: %v", n, v, err)
			}
		}
	}
}

func TestOctetStringRule(t *testing.T) {
	b := []byte("AB  \x00CD   EF  ")
	s, off, err := readOctetString(b, 0, 6)
	if err != nil || s != "AB" || off != 6 {
		t.Errorf("NUL: %q %d %v", s, off, err)
	}
	if s, _, _ = readOctetString(b, 5, 9); s != "CD   EF" { // no NUL: trailing spaces trimmed
		t.Errorf("spaces: %q", s)
	}
	if _, _, err := readOctetString(b, 10, 6); !errors.Is(err, ErrTruncated) {
		t.Errorf("past end: %v", err)
	}
	if _, _, err := readOctetString(b, -1, 1); !errors.Is(err, ErrTruncated) {
		t.Errorf("negative offset: %v", err)
	}
	if out, err := appendOctetString(nil, "901234", 6); err != nil || string(out) != "901234" { // exact fit, no NUL
		t.Errorf("exact fit: %q %v", out, err)
	}
	if out, err := appendOctetString([]byte{1}, "ab", 4); err != nil || string(out) != "\x01ab\x00\x00" {
		t.Errorf("padding: %q %v", out, err)
	}
	if _, err := appendOctetString(nil, "9012345", 6); err == nil || err.Error() != "value too long (7 > 6)" {
		t.Errorf("too long: %v", err)
	}
	if v, off, err := readU64([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, 1); err != nil || v != 0x0102030405060708 || off != 9 {
		t.Errorf("readU64: %x %d %v", v, off, err)
	}
	if _, _, err := readU64([]byte{1, 2, 3}, 0); !errors.Is(err, ErrTruncated) {
		t.Errorf("readU64: %v", err)
	}
	if _, _, err := readU32([]byte{1, 2, 3, 4}, 1); !errors.Is(err, ErrTruncated) {
		t.Errorf("readU32: %v", err)
	}
	if _, _, err := readU8(nil, 0); !errors.Is(err, ErrTruncated) {
		t.Errorf("readU8: %v", err)
	}
	if _, _, err := readBytes([]byte{1}, 0, 2); !errors.Is(err, ErrTruncated) {
		t.Errorf("readBytes: %v", err)
	}
}

func TestReport(t *testing.T) {
	r := golden124Report
	r.DestTerminalID = strings.Repeat("9", 32)
	d := &Deliver{}
	err := d.SetReport(&r, true)
	if !errors.Is(err, ErrValueTooLong) || err.Error() != "REPORT.Dest_terminal_Id: value too long (32 > 21)" {
		t.Errorf("short report with a 32-byte number: %v", err)
	}
	if d.RegisteredDelivery != 0 || d.MsgContent != nil {
		t.Error("failed SetReport modified the DELIVER")
	}
	if err := d.SetReport(&r, false); err != nil || len(d.MsgContent) != ReportLenLong || d.RegisteredDelivery != 1 {
		t.Fatalf("long report: %d bytes, %v", len(d.MsgContent), err)
	}
	got, err := d.Report()
	if err != nil || *got != r {
		t.Errorf("long report: %+v %v", got, err)
	}
	if _, err := (&Deliver{RegisteredDelivery: 0, MsgContent: make([]byte, 60)}).Report(); !errors.Is(err, ErrNotReport) {
		t.Errorf("MO: %v", err)
	}
	for _, n := range []int{0, 59, 61, 70, 72} {
		if _, err := (&Deliver{RegisteredDelivery: 1, MsgContent: make([]byte, n)}).Report(); !errors.Is(err, ErrBadLength) {
			t.Errorf("%d-byte report: %v", n, err)
		}
	}
}

func TestNewPDU(t *testing.T) {
	for id := range commandNames {
		p, err := NewPDU(id)
		if err != nil || p.CommandID() != id {
			t.Errorf("NewPDU(%s) = %v, %v", id, p, err)
		}
	}
	if _, err := NewPDU(0x00000009); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("CMPP_FWD: %v", err)
	}
}

func TestStatusTexts(t *testing.T) {
	for status, want := range map[uint32]string{0: "success", 3: "authentication error", 4: "version too high", 5: "other error (5)", 99: "other error (99)"} {
		if got := ConnectStatusText(status); got != want {
			t.Errorf("ConnectStatusText(%d) = %q, want %q", status, got, want)
		}
	}
	for result, want := range map[uint32]string{0: "success", 8: "flow control error", 13: "Dest_terminal_Id error", 14: "other error (14)", 202: "other error (202)"} {
		if got := SubmitResultText(result); got != want {
			t.Errorf("SubmitResultText(%d) = %q, want %q", result, got, want)
		}
	}
}
