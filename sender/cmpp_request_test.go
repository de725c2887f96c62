package sender

import (
	"bytes"
	"context"
	"testing"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/store"
)

// A request a customer submitted over CMPP goes upstream as the customer
// split it — its Pk_total/Pk_number, UDH and content — and each
// recipient's operator report comes back as a DELIVRD report entry for
// the account, carrying the Msg_Id smsbridge assigned to that recipient.
func TestChannelSendsCMPPRequestAsSplit(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, nil)
	const base = "1206101500000900100010"
	seg := []byte{5, 0, 3, 0x42, 4, 2, 0x4f, 0x60, 0x59, 0x7d}
	req := store.NewRequest{
		ID: "cmpp-" + base, Tenant: "t", Channel: "default", MsgFmt: 8,
		Recipients: []string{"13800138001", "13800138002"},
		Segments:   []store.Segment{{Content: seg, UDHI: true}},
		CMPP:       &store.CMPPOrigin{Account: testAccount, MsgID: base, SrcID: testServiceCode + "5", ServiceID: "SVC", Report: true},
		PkTotal:    4, PkNumber: 2,
		ValidTime: "261207120000032+",
	}
	if err := r.st.CreateRequest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	r.hub.JobsQueued("default")
	got := leaseCMPP(t, r.st, 2)
	first, err := cmpp.ParseMsgID(base)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{first.String(): "13800138001", first.AddSequence(1).String(): "13800138002"}
	for _, d := range got {
		if !d.Report || d.Stat != "DELIVRD" || want[d.MsgID] != d.Terminal || d.DestID != testServiceCode+"5" || d.ServiceID != "SVC" {
			t.Errorf("report entry %+v", d)
		}
		delete(want, d.MsgID)
	}
	if len(want) != 0 {
		t.Fatalf("no report entry for %v", want)
	}
	sent := r.sim.Received()
	if len(sent) != 2 {
		t.Fatalf("simulator received %d SUBMITs, want 2", len(sent))
	}
	for _, g := range sent {
		if g.PkTotal != 4 || g.PkNumber != 2 || g.TPUDHI != 1 || !bytes.Equal(g.Content, seg) || g.MsgFmt != 8 {
			t.Errorf("upstream SUBMIT: Pk %d/%d udhi %d content %x", g.PkTotal, g.PkNumber, g.TPUDHI, g.Content)
		}
	}
}
