package cmpp

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"
)

// unhex decodes hex with any whitespace in it (the §12 dumps).
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func md5hex(t testing.TB, s string) [16]byte {
	t.Helper()
	var a [16]byte
	copy(a[:], unhex(t, s))
	return a
}

// checkGolden encodes p and compares with want, then decodes want and
// compares with p.
func checkGolden(t *testing.T, v Version, seq uint32, p PDU, want []byte) {
	t.Helper()
	got, err := Append(nil, v, seq, p)
	if err != nil {
		t.Fatalf("Append %s: %v", p.CommandID(), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Append %s:\n got %x\nwant %x", p.CommandID(), got, want)
	}
	if n := HeaderLen + p.BodyLen(v); n != len(want) {
		t.Errorf("BodyLen+12 = %d, want %d", n, len(want))
	}
	h, dp, err := Decode(want, v)
	if err != nil {
		t.Fatalf("Decode %s: %v", p.CommandID(), err)
	}
	if h.SequenceID != seq || h.CommandID != p.CommandID() || int(h.TotalLength) != len(want) {
		t.Errorf("header = %+v", h)
	}
	if !reflect.DeepEqual(dp, p) {
		t.Errorf("Decode:\n got %+v\nwant %+v", dp, p)
	}
}

// §12.1
const (
	golden121Connect = `00 00 00 27 00 00 00 01  00 00 00 01 39 30 31 32
		33 34 47 a6 9e a5 f6 4e  10 90 81 2a a6 cd 30 73
		43 5d 20 42 e1 e7 12`
	golden121Resp20 = `00 00 00 1e 80 00 00 01  00 00 00 01 00 0a e6 3d
		1e d5 85 f5 a8 2b ad 62  40 d0 a2 54 a9 20`
	golden121Resp30 = `00 00 00 21 80 00 00 01  00 00 00 01 00 00 00 00
		4a 95 ce de 4e 46 7a fa  31 01 18 50 93 e1 9f d6
		30`
)

func TestGoldenConnect(t *testing.T) {
	ts := Timestamp(time.Date(2025, 11, 22, 10, 10, 10, 0, time.UTC))
	if ts != 0x42E1E712 { // = 1122101010
		t.Fatalf("Timestamp = %d", ts)
	}
	auth := AuthenticatorSource("901234", "secret", ts)
	if want := md5hex(t, "47a69ea5f64e1090812aa6cd3073435d"); auth != want {
		t.Fatalf("AuthenticatorSource = %x", auth)
	}
	if AuthenticatorSourcePadded("901234", "secret", ts) != auth {
		t.Error("padded form differs for a 6-character SP_Id")
	}
	c := &Connect{SourceAddr: "901234", AuthenticatorSource: auth, Version: V20, Timestamp: ts}
	checkGolden(t, V20, 1, c, unhex(t, golden121Connect))
	checkGolden(t, V30, 1, c, unhex(t, golden121Connect)) // same layout in 3.0

	ismg20 := AuthenticatorISMG(0, V20, auth, "secret")
	if want := md5hex(t, "0ae63d1ed585f5a82bad6240d0a254a9"); ismg20 != want {
		t.Fatalf("AuthenticatorISMG 2.0 = %x", ismg20)
	}
	checkGolden(t, V20, 1, &ConnectResp{Status: 0, AuthenticatorISMG: ismg20, Version: V20}, unhex(t, golden121Resp20))

	ismg30 := AuthenticatorISMG(0, V30, auth, "secret")
	if want := md5hex(t, "4a95cede4e467afa3101185093e19fd6"); ismg30 != want {
		t.Fatalf("AuthenticatorISMG 3.0 = %x", ismg30)
	}
	checkGolden(t, V30, 1, &ConnectResp{Status: 0, AuthenticatorISMG: ismg30, Version: V30}, unhex(t, golden121Resp30))
}

// TestTimestampJanuary checks the zero padding of the MD5 timestamp
// (gocmpp #2): the 9-digit integer is hashed as 10 digits.
func TestTimestampJanuary(t *testing.T) {
	ts := Timestamp(time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC))
	if ts != 102150405 {
		t.Fatalf("Timestamp = %d", ts)
	}
	if got := string(appendTS10(nil, ts)); got != "0102150405" {
		t.Fatalf("TS10 = %q", got)
	}
}

// §12.2: gocmpp's connect_test.go vectors.
func TestGoldenGocmppAuthenticators(t *testing.T) {
	src := AuthenticatorSource("900001", "888888", 1021080510)
	if want := md5hex(t, "90d00c1d517abd0b4f65f6bcf8535d16"); src != want {
		t.Fatalf("AuthenticatorSource = %x", src)
	}
	if got, want := AuthenticatorISMG(0, V20, src, "888888"), md5hex(t, "6c0b846e25bab6daa4ed1c466e0f4bd8"); got != want {
		t.Errorf("AuthenticatorISMG 2.0 = %x", got)
	}
	if got, want := AuthenticatorISMG(0, V30, src, "888888"), md5hex(t, "7942977274098cf210ab0c16c367bc8d"); got != want {
		t.Errorf("AuthenticatorISMG 3.0 = %x", got)
	}
}

func TestAuthenticatorSourcePaddedShortAddr(t *testing.T) {
	raw := AuthenticatorSource("9001", "pw", 1122101010)
	padded := AuthenticatorSourcePadded("9001", "pw", 1122101010)
	if raw == padded {
		t.Fatal("padded and raw forms must differ for a 4-character SP_Id")
	}
	if want := AuthenticatorSource("9001\x00\x00", "pw", 1122101010); padded != want {
		t.Errorf("padded = %x, want %x", padded, want)
	}
}

// §12.3
var golden123MsgID = NewMsgID(MsgIDFields{Month: 11, Day: 22, Hour: 10, Minute: 10, Second: 12, Gateway: 1001, Sequence: 1})

func TestGoldenSubmitResp(t *testing.T) {
	if golden123MsgID != 0xBB28A30003E90001 || uint64(golden123MsgID) != 13486208304621879297 {
		t.Fatalf("Msg_Id = %#x", uint64(golden123MsgID))
	}
	resp30 := unhex(t, `00 00 00 18 80 00 00 04  00 00 00 02 bb 28 a3 00
		03 e9 00 01 00 00 00 00`)
	checkGolden(t, V30, 2, &SubmitResp{MsgID: golden123MsgID, Result: 0}, resp30)

	flow := bytes.Clone(resp30)
	flow[11], flow[len(flow)-1] = 0x03, 0x08
	checkGolden(t, V30, 3, &SubmitResp{MsgID: golden123MsgID, Result: ResultFlowControl}, flow)
	if SubmitResultText(ResultFlowControl) != "flow control error" {
		t.Errorf("SubmitResultText(8) = %q", SubmitResultText(8))
	}

	resp20 := unhex(t, "00 00 00 15 80 00 00 04 00 00 00 02 bb 28 a3 00 03 e9 00 01 00")
	checkGolden(t, V20, 2, &SubmitResp{MsgID: golden123MsgID, Result: 0}, resp20)
	// A response decodes by its length whatever the negotiated version.
	if _, p, err := Decode(resp20, V30); err != nil || *p.(*SubmitResp) != (SubmitResp{MsgID: golden123MsgID}) {
		t.Errorf("2.0 SUBMIT_RESP decoded as 3.0: %+v, %v", p, err)
	}
}

// §12.4
const golden124Deliver = `00 00 00 91 00 00 00 05  00 00 00 07 bb 28 a3 c0
	03 e9 00 02 31 30 36 39  30 31 32 33 00 00 00 00
	00 00 00 00 00 00 00 00  00 54 45 53 54 00 00 00
	00 00 00 00 00 00 31 33  38 30 30 31 33 38 30 30
	30 00 00 00 00 00 00 00  00 00 00 01 3c bb 28 a3
	00 03 e9 00 01 44 45 4c  49 56 52 44 32 35 31 31
	32 32 31 30 31 30 32 35  31 31 32 32 31 30 31 30
	31 33 38 30 30 31 33 38  30 30 30 00 00 00 00 00
	00 00 00 00 00 00 00 00  01 00 00 00 00 00 00 00
	00`

var golden124Report = Report{
	MsgID: golden123MsgID, Stat: "DELIVRD", SubmitTime: "2511221010", DoneTime: "2511221010",
	DestTerminalID: "13800138000", SMSCSequence: 1,
}

func TestGoldenReportDeliver(t *testing.T) {
	want := unhex(t, golden124Deliver)
	d := &Deliver{
		MsgID: 0xBB28A3C003E90002, DestID: "10690123", ServiceID: "TEST",
		SrcTerminalID: "13800138000",
	}
	if err := d.SetReport(&golden124Report, true); err != nil {
		t.Fatal(err)
	}
	if len(d.MsgContent) != ReportLenShort {
		t.Fatalf("short report is %d bytes", len(d.MsgContent))
	}
	checkGolden(t, V20, 7, d, want)

	_, p, err := Decode(want, V20)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.(*Deliver).Report()
	if err != nil {
		t.Fatal(err)
	}
	if *r != golden124Report {
		t.Errorf("Report = %+v", r)
	}

	// The SP's DELIVER_RESP echoes the header Msg_Id, 2.0 layout (21 bytes).
	checkGolden(t, V20, 7, &DeliverResp{MsgID: 0xBB28A3C003E90002},
		unhex(t, "00 00 00 15 80 00 00 05 00 00 00 07 bb 28 a3 c0 03 e9 00 02 00"))
}

// §12.5
const golden125Submit = `00 00 00 c7 00 00 00 04  00 00 00 02 00 00 00 00
	00 00 00 00 01 01 01 01  54 45 53 54 00 00 00 00
	00 00 02 00 00 00 00 00  00 00 00 00 00 00 00 00
	00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
	00 00 00 00 00 00 08 39  30 31 32 33 34 30 31 30
	30 30 30 30 30 00 00 00  00 00 00 00 00 00 00 00
	00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
	00 00 00 00 00 00 00 31  30 36 39 30 31 32 33 00
	00 00 00 00 00 00 00 00  00 00 00 00 01 31 33 38
	30 30 31 33 38 30 30 30  00 00 00 00 00 00 00 00
	00 00 00 00 00 00 00 00  00 00 00 00 00 00 04 4f
	60 59 7d 00 00 00 00 00  00 00 00 00 00 00 00 00
	00 00 00 00 00 00 00`

func golden125() *Submit {
	return &Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgLevel: 1, ServiceID: "TEST",
		FeeUserType: 2, MsgFmt: 8, MsgSrc: "901234", FeeType: "01", FeeCode: "000000",
		SrcID: "10690123", DestTerminalIDs: []string{"13800138000"},
		MsgContent: []byte{0x4f, 0x60, 0x59, 0x7d},
	}
}

func TestGoldenSubmit30(t *testing.T) {
	want := unhex(t, golden125Submit)
	if len(want) != 199 {
		t.Fatalf("dump has %d bytes", len(want))
	}
	checkGolden(t, V30, 2, golden125(), want)
}

// §7 text forms.
func TestGoldenMsgIDText(t *testing.T) {
	m := MsgID(0xBB28A30003E90001)
	if s := m.String(); s != "1122101012000100100001" {
		t.Errorf("String = %q", s)
	}
	p, err := ParseMsgID("1122101012000100100001")
	if err != nil || p != m {
		t.Errorf("ParseMsgID = %#x, %v", uint64(p), err)
	}
	// gocmpp's deliver_test.go Msg_Id.
	g := MsgID(13025908756704198656)
	if uint64(g) != 0xb4c5530000010000 {
		t.Fatal("constant")
	}
	want := MsgIDFields{Month: 11, Day: 9, Hour: 17, Minute: 21, Second: 12, Gateway: 1, Sequence: 0}
	if f := g.Fields(); f != want {
		t.Errorf("Fields = %+v, want %+v", f, want)
	}
	if s := g.String(); s != "1109172112000000100000" {
		t.Errorf("String = %q", s)
	}
}
