package cmppserver

import (
	"bytes"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/registry"
)

// TestCheckSubmit covers every Result of the validation.
func TestCheckSubmit(t *testing.T) {
	tn := testTenant()
	snap := registry.NewSnapshot(1, []registry.Tenant{tn}, testChannels())
	tp, _ := snap.Tenant("acme")
	udh := []byte{5, 0, 3, 9, 2, 1}
	cases := []struct {
		name string
		v    cmpp.Version
		mod  func(p *cmpp.Submit)
		want uint32
	}{
		{"valid", cmpp.V30, func(p *cmpp.Submit) {}, resultOK},
		{"valid long segment with UDH", cmpp.V30, func(p *cmpp.Submit) {
			p.PkTotal, p.PkNumber, p.TPUDHI = 2, 1, 1
			p.MsgContent = append(append([]byte{}, udh...), bytes.Repeat([]byte{0, 0x41}, 67)...)
		}, resultOK},
		{"valid ASCII 159", cmpp.V30, func(p *cmpp.Submit) { p.MsgFmt, p.MsgContent = 0, bytes.Repeat([]byte("a"), 159) }, resultOK},
		{"valid times", cmpp.V30, func(p *cmpp.Submit) { p.ValidTime, p.AtTime = "251122181000032+", "000001000000000R" }, resultOK},
		{"zero times", cmpp.V30, func(p *cmpp.Submit) { p.ValidTime, p.AtTime = "0000000000000000", "" }, resultOK},
		{"Registered_Delivery 2 in 2.0", cmpp.V20, func(p *cmpp.Submit) { p.RegisteredDelivery = 2 }, resultOK},
		{"empty Src_Id", cmpp.V30, func(p *cmpp.Submit) { p.SrcID = "" }, resultOK},
		{"86 prefix", cmpp.V30, func(p *cmpp.Submit) { p.DestTerminalIDs = []string{"8613800138000"} }, resultOK},
		{"100 destinations", cmpp.V30, func(p *cmpp.Submit) {
			p.DestTerminalIDs = nil
			for range 100 {
				p.DestTerminalIDs = append(p.DestTerminalIDs, "13800138000")
			}
		}, resultOK},
		{"Pk_total 0", cmpp.V30, func(p *cmpp.Submit) { p.PkTotal = 0 }, resultStructure},
		{"Pk_number > Pk_total", cmpp.V30, func(p *cmpp.Submit) { p.PkTotal, p.PkNumber = 2, 3 }, resultStructure},
		{"Pk_number 0", cmpp.V30, func(p *cmpp.Submit) { p.PkNumber = 0 }, resultStructure},
		{"Msg_Fmt 9", cmpp.V30, func(p *cmpp.Submit) { p.MsgFmt = 9 }, resultStructure},
		{"TP_udhi 2", cmpp.V30, func(p *cmpp.Submit) { p.TPUDHI = 2 }, resultStructure},
		{"UDH too long", cmpp.V30, func(p *cmpp.Submit) { p.TPUDHI, p.MsgContent = 1, []byte{9, 0, 3} }, resultStructure},
		{"Registered_Delivery 2 in 3.0", cmpp.V30, func(p *cmpp.Submit) { p.RegisteredDelivery = 2 }, resultStructure},
		{"Registered_Delivery 3", cmpp.V20, func(p *cmpp.Submit) { p.RegisteredDelivery = 3 }, resultStructure},
		{"bad ValId_Time", cmpp.V30, func(p *cmpp.Submit) { p.ValidTime = "2511221810000" }, resultStructure},
		{"bad At_Time sign", cmpp.V30, func(p *cmpp.Submit) { p.AtTime = "251122181000032X" }, resultStructure},
		{"bad At_Time month", cmpp.V30, func(p *cmpp.Submit) { p.AtTime = "251322181000032+" }, resultStructure},
		{"empty content", cmpp.V30, func(p *cmpp.Submit) { p.MsgContent = nil }, resultLength},
		{"odd UCS2", cmpp.V30, func(p *cmpp.Submit) { p.MsgContent = []byte{0, 0x41, 0} }, resultLength},
		{"UCS2 141", cmpp.V30, func(p *cmpp.Submit) { p.MsgContent = make([]byte, 141) }, resultTooLong},
		{"ASCII 160", cmpp.V30, func(p *cmpp.Submit) { p.MsgFmt, p.MsgContent = 0, bytes.Repeat([]byte("a"), 160) }, resultTooLong},
		{"no destination", cmpp.V30, func(p *cmpp.Submit) { p.DestTerminalIDs = nil }, resultDest},
		{"101 destinations", cmpp.V30, func(p *cmpp.Submit) {
			p.DestTerminalIDs = strings.Fields(strings.Repeat("13800138000 ", 101))
		}, resultDest},
		{"fixed line", cmpp.V30, func(p *cmpp.Submit) { p.DestTerminalIDs = []string{"13800138000", "02012345678"} }, resultDest},
		{"pseudo number", cmpp.V30, func(p *cmpp.Submit) { p.DestTerminalType = 1 }, resultDest},
		{"foreign Src_Id", cmpp.V30, func(p *cmpp.Submit) { p.SrcID = "1069999" }, resultSrcID},
		{"Src_Id extension not digits", cmpp.V30, func(p *cmpp.Submit) { p.SrcID = "1065800001ab" }, resultSrcID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ucs2Submit("13800138000")
			c.mod(p)
			got, r, why := checkSubmit(snap, tp, c.v, p)
			if r != c.want {
				t.Fatalf("Result %d (%s), want %d", r, why, c.want)
			}
			if r == resultOK && (got.channel != "ch1" || !strings.HasPrefix(got.srcExt, "7")) {
				t.Fatalf("resolved %+v", got)
			}
		})
	}
	// The Src_Id extension goes after the tenant's MO extension.
	got, _, _ := checkSubmit(snap, tp, cmpp.V30, ucs2Submit("+8613800138000"))
	if got.srcExt != "799" || got.srcID != "106580000199" || got.dests[0] != "13800138000" || !got.report {
		t.Fatalf("resolved %+v", got)
	}
	// Src_Id must fit on the channel: 12 digits of channel service code +
	// "7" + an extension of 9 is 22.
	long := registry.NewSnapshot(1, []registry.Tenant{tn}, []registry.Channel{{Name: "ch1", SrcID: "106900011234"}})
	lt, _ := long.Tenant("acme")
	p := ucs2Submit("13800138000")
	p.SrcID = "1065800001123456789"
	if _, r, _ := checkSubmit(long, lt, cmpp.V30, p); r != resultSrcID {
		t.Fatalf("Src_Id too long upstream: Result %d", r)
	}
	p.SrcID = "106580000112345678"
	if _, r, _ := checkSubmit(long, lt, cmpp.V30, p); r != resultOK {
		t.Fatalf("Src_Id of 21 upstream: Result %d", r)
	}
	// A tenant without a usable channel cannot send.
	noChan := registry.NewSnapshot(1, []registry.Tenant{tn}, nil)
	if _, r, _ := checkSubmit(noChan, tp, cmpp.V30, ucs2Submit("13800138000")); r != resultNoAccess {
		t.Fatalf("no channel: Result %d", r)
	}
}

func FuzzCheckSubmit(f *testing.F) {
	tn := testTenant()
	snap := registry.NewSnapshot(1, []registry.Tenant{tn}, testChannels())
	tp, _ := snap.Tenant("acme")
	f.Add(uint8(1), uint8(1), uint8(8), uint8(1), []byte{5, 0, 3, 1, 1, 1}, "251122181000032+", "106580000199", "13800138000")
	f.Fuzz(func(t *testing.T, total, num, msgFmt, udhi uint8, content []byte, at, src, dest string) {
		p := &cmpp.Submit{PkTotal: total, PkNumber: num, MsgFmt: msgFmt, TPUDHI: udhi, MsgContent: content,
			AtTime: at, SrcID: src, DestTerminalIDs: []string{dest}}
		c, r, _ := checkSubmit(snap, tp, cmpp.V30, p)
		if r == resultOK && (len(c.dests) != 1 || len(content) == 0 || len(content) > maxContentASCII) {
			t.Fatalf("accepted %+v", p)
		}
	})
}
