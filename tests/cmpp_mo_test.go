package tests

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// An uplink message to the channel's number plus an extension reaches the
// tenant's CMPP account as DELIVERs (Registered_Delivery 0) with Dest_Id =
// the account's service code plus that extension; a long MO arrives as the
// segments arrived, each with its UDH, and joins to the text sent.
func TestCMPPMOReachesAccount(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	g := runCMPPGateway(t, cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()})
	testenv.WaitFor(t, 10*time.Second, "upstream links logged in", func() bool { return sim.Links(spID) == 2 })
	c := newCustomer(t, cmppAccount, cmppSecret)
	c.mustDial(g.cmpp, "g")
	long := padUCS2("上行长短信：", 150) // three segments
	for _, mo := range []ismgsim.MO{
		{SPID: spID, From: "13700000001", To: srcID + "77", Text: "STOP", Encoding: "ascii"},
		{SPID: spID, From: "13700000002", To: srcID + "78", Text: long, Encoding: "ucs2"},
	} {
		if err := sim.InjectMO(context.Background(), mo); err != nil {
			t.Fatal(err)
		}
	}
	testenv.WaitFor(t, 10*time.Second, "4 MO DELIVERs at the customer", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.mo) >= 4
	})
	c.mu.Lock()
	mos := append([]cmpp.Deliver(nil), c.mo...)
	c.mu.Unlock()
	if len(mos) != 4 {
		t.Fatalf("%d MO DELIVERs, want 4", len(mos))
	}
	parts := make([][]byte, 4)
	for _, d := range mos {
		switch d.SrcTerminalID {
		case "13700000001":
			if d.DestID != cmppServiceCode+"77" || string(d.MsgContent) != "STOP" || d.MsgFmt != 0 {
				t.Errorf("short MO: Dest_Id %q fmt %d content %q, want %s77, 0, STOP", d.DestID, d.MsgFmt, d.MsgContent, cmppServiceCode)
			}
		case "13700000002":
			udh, payload, err := content.ParseUDH(d.MsgContent)
			if err != nil || !content.HasUDHI(d.TPUDHI) || !udh.Concat || udh.Total != 3 || udh.Index < 1 || udh.Index > 3 || d.DestID != cmppServiceCode+"78" {
				t.Fatalf("long MO segment: udhi %d udh %+v err %v Dest_Id %q", d.TPUDHI, udh, err, d.DestID)
			}
			parts[udh.Index] = payload
		default:
			t.Errorf("MO from %q", d.SrcTerminalID)
		}
	}
	text, err := content.Join(8, parts[1:])
	if err != nil || text != long {
		t.Errorf("long MO joined to %q (%v), want %q", text, err, long)
	}
}
