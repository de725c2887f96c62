package sender

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

const (
	testAccount     = "910001"
	testServiceCode = "1065800001"
	testMOExt       = "9" // the CMPP tenant's extension on the channel
)

// cmppRoute routes MO for testSrc+testMOExt… to testAccount, with the
// extension after testMOExt appended to the account's service code.
func cmppRoute(channel, dest string) (account, destID string, ok bool) {
	if channel != "default" || !strings.HasPrefix(dest, testSrc+testMOExt) {
		return "", "", false
	}
	return testAccount, testServiceCode + strings.TrimPrefix(dest, testSrc+testMOExt), true
}

// leaseCMPP leases the entries waiting for testAccount in channel
// "default" until n have arrived, and acknowledges them.
func leaseCMPP(t *testing.T, st *store.Store, n int) []store.CMPPDeliver {
	t.Helper()
	ctx := context.Background()
	var got []store.CMPPDeliver
	testenv.WaitFor(t, 10*time.Second, "CMPP MO entries", func() bool {
		ds, _, err := st.LeaseCMPPDelivers(ctx, "default", testAccount, "test-owner", 100, time.Minute, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ds...)
		return len(got) >= n
	})
	ids := make([]string, len(got))
	for i, d := range got {
		ids[i] = d.ID
	}
	if err := st.AckCMPPDelivers(ctx, "default", testAccount, ids); err != nil {
		t.Fatal(err)
	}
	return got
}

// An MO for a tenant with CMPP access is queued for its account segment by
// segment, UDH kept, with the account's Dest_Id; other MO still becomes an
// sms.mo event.
func TestChannelQueuesMOForCMPPAccount(t *testing.T) {
	r := newRigWith(t, rigOptions{deps: func(d *Deps) { d.CMPPMO = cmppRoute }})
	testenv.WaitFor(t, 5*time.Second, "two links", func() bool { return r.sim.Links(testSP) == 2 })
	long := strings.Repeat("长短信测试", 30) // 150 chars: 3 UCS2 segments
	for _, mo := range []ismgsim.MO{
		{SPID: testSP, From: "13900000003", To: testSrc + testMOExt + "42", Text: long, ServiceID: "SVC", LinkID: "L1"},
		{SPID: testSP, From: "13900000001", To: testSrc + "77", Text: "TD"},
	} {
		if err := r.sim.InjectMO(context.Background(), mo); err != nil {
			t.Fatal(err)
		}
	}
	got := leaseCMPP(t, r.st, 3)
	if len(got) != 3 {
		t.Fatalf("%d CMPP entries, want 3", len(got))
	}
	type part struct {
		index int
		data  []byte
	}
	var parts []part
	for _, d := range got {
		if d.Report || d.Terminal != "13900000003" || d.DestID != testServiceCode+"42" || d.ServiceID != "SVC" ||
			d.MsgFmt != 8 || d.TPUDHI&0x41 == 0 || d.Channel != "default" {
			t.Errorf("entry fields: %+v", d)
		}
		h, payload, err := content.ParseUDH(d.Content)
		if err != nil || !h.Concat || h.Total != 3 {
			t.Fatalf("entry content has no concatenation UDH (%v): %x", err, d.Content)
		}
		parts = append(parts, part{int(h.Index), payload})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].index < parts[j].index })
	var all []byte
	for i, p := range parts {
		if p.index != i+1 {
			t.Fatalf("segment indexes %+v", parts)
		}
		all = append(all, p.data...)
	}
	if text, _ := content.Decode(8, all); text != long {
		t.Fatalf("segments join to %q", text)
	}
	testenv.WaitFor(t, 10*time.Second, "sms.mo event for the other MO", func() bool {
		evs, err := r.st.LeaseEvents(context.Background(), "default", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Type == store.EventMO {
				if ev.MO.Src != "13900000001" {
					t.Fatalf("the CMPP tenant's MO became an event too: %+v", ev.MO)
				}
				return true
			}
		}
		return false
	})
	testenv.WaitFor(t, 5*time.Second, "4 MO DELIVER_RESPs", func() bool { return r.sim.Counts()[testSP].MOAcked == 4 })
}

// A DELIVER the ISMG resends (same Msg_Id) is queued once.
func TestChannelCMPPMODropsResentDeliver(t *testing.T) {
	r := newRigWith(t, rigOptions{deps: func(d *Deps) { d.CMPPMO = cmppRoute }})
	d := &cmpp.Deliver{
		MsgID: cmpp.MsgID(0x1234567890), DestID: testSrc + testMOExt, SrcTerminalID: "13900000004",
		MsgFmt: 0, MsgContent: []byte("hello"),
	}
	for range 2 {
		if err := r.ch.storeMO(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	got := leaseCMPP(t, r.st, 1)
	if len(got) != 1 || !bytes.Equal(got[0].Content, []byte("hello")) || got[0].DestID != testServiceCode {
		t.Fatalf("entries %+v", got)
	}
	// Nothing more arrives.
	ds, _, err := r.st.LeaseCMPPDelivers(context.Background(), "default", testAccount, "test-owner", 100, time.Minute, time.Hour)
	if err != nil || len(ds) != 0 {
		t.Fatalf("after the resend: %d entries (%v)", len(ds), err)
	}
}
