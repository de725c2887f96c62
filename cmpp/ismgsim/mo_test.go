package ismgsim

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/content"
)

func TestInjectMOSingle(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		c := loginRaw(t, s, v)
		err := s.InjectMO(context.Background(), MO{SPID: testSPID, From: "13800138000", To: "106580000123",
			Text: "TD", ServiceID: "TEST", LinkID: "L1"})
		if err != nil {
			t.Fatal(err)
		}
		ds, _ := c.recvDelivers(1, true)
		d := ds[0]
		wantLinkID := ""
		if v.Is30() {
			wantLinkID = "L1"
		}
		if d.RegisteredDelivery != 0 || d.SrcTerminalID != "13800138000" || d.DestID != "106580000123" ||
			d.ServiceID != "TEST" || d.MsgFmt != content.FmtASCII || d.TPUDHI != 0 || string(d.MsgContent) != "TD" ||
			d.LinkID != wantLinkID {
			t.Fatalf("%s: MO DELIVER %+v", v, d)
		}
		_ = c.conn.Close()
		waitFor(t, "link gone", func() bool { return s.Links(testSPID) == 0 })
	}
	waitFor(t, "MOs acked", func() bool {
		got := s.Counts()[testSPID]
		return got.MOSent == 2 && got.MOAcked == 2
	})
}

func TestInjectMOLongSpreadOverLinks(t *testing.T) {
	s := newTestServer(t, Config{})
	a, b := loginRaw(t, s, cmpp.V30), loginRaw(t, s, cmpp.V20)
	text := strings.Repeat("长短信测试", 30) // 150 UCS2 units: 3 segments of ≤67
	if err := s.InjectMO(context.Background(), MO{SPID: testSPID, From: "13800138000", To: "1065800001", Text: text, Encoding: "ucs2"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var parts []content.Part
	perLink := map[*rawClient]int{}
	var wg sync.WaitGroup
	collect := func(c *rawClient, n int) {
		defer wg.Done()
		for range n {
			h, p, err := c.recvErr(ioTimeout)
			if err != nil {
				t.Errorf("recv: %v", err)
				return
			}
			d := p.(*cmpp.Deliver)
			b, _ := cmpp.Append(nil, c.v, h.SequenceID, &cmpp.DeliverResp{MsgID: d.MsgID})
			_, _ = c.conn.Write(b)
			mu.Lock()
			if d.TPUDHI != 1 {
				t.Errorf("TP_udhi %d, want 1", d.TPUDHI)
			}
			parts = append(parts, content.Part{Sender: d.SrcTerminalID, Receiver: d.DestID, MsgFmt: d.MsgFmt, UDHI: content.HasUDHI(d.TPUDHI), Content: d.MsgContent})
			perLink[c]++
			mu.Unlock()
		}
	}
	// Round robin over 2 links: 2 segments on one, 1 on the other.
	wg.Add(2)
	go collect(a, 2)
	go collect(b, 1)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if perLink[a] != 2 || perLink[b] != 1 {
		t.Fatalf("segments per link %v", perLink)
	}
	indexes := map[uint8]bool{}
	for _, p := range parts {
		info, _, err := content.ParsePart(p)
		if err != nil || p.MsgFmt != content.FmtUCS2 || info.Total != 3 || p.Sender != "13800138000" || p.Receiver != "1065800001" {
			t.Fatalf("segment %+v: %+v %v", p, info, err)
		}
		indexes[info.Index] = true
	}
	if len(indexes) != 3 {
		t.Fatalf("segment indexes %v", indexes)
	}
	// Reassemble in index order and compare with the text.
	ordered := make([][]byte, 3)
	for _, p := range parts {
		info, payload, _ := content.ParsePart(p)
		ordered[info.Index-1] = payload
	}
	got, err := content.Join(content.FmtUCS2, ordered)
	if err != nil || got != text {
		t.Fatalf("reassembled %q (%v), want %q", got, err, text)
	}
}

func TestInjectMOErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	ctx := context.Background()
	ok := MO{SPID: testSPID, From: "13800138000", To: "1065800001", Text: "hi"}
	if err := s.InjectMO(ctx, ok); !errors.Is(err, ErrNoLink) {
		t.Fatalf("no link: %v, want ErrNoLink", err)
	}
	bad := ok
	bad.SPID = "999999"
	if err := s.InjectMO(ctx, bad); !errors.Is(err, ErrUnknownAccount) {
		t.Fatalf("unknown account: %v", err)
	}
	loginRaw(t, s, cmpp.V30)
	for name, mo := range map[string]MO{
		"empty from":   {SPID: testSPID, To: "1", Text: "x"},
		"empty text":   {SPID: testSPID, From: "1", To: "1"},
		"bad encoding": {SPID: testSPID, From: "1", To: "1", Text: "x", Encoding: "latin9"},
		"ascii emoji":  {SPID: testSPID, From: "1", To: "1", Text: "😀", Encoding: "ascii"},
	} {
		if err := s.InjectMO(ctx, mo); !errors.Is(err, ErrInvalidMO) {
			t.Errorf("%s: %v, want ErrInvalidMO", name, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.InjectMO(cctx, ok); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

func TestMOResentUntilAcked(t *testing.T) {
	s := newTestServer(t, Config{ResponseTimeout: 100 * time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)
	if err := s.InjectMO(context.Background(), MO{SPID: testSPID, From: "13800138000", To: "1065800001", Text: "again"}); err != nil {
		t.Fatal(err)
	}
	_, h1 := c.recvDelivers(1, false)
	ds, h2 := c.recvDelivers(1, true)
	if h1[0].SequenceID != h2[0].SequenceID || string(ds[0].MsgContent) != "again" {
		t.Fatalf("resend seq %d vs %d", h2[0].SequenceID, h1[0].SequenceID)
	}
	waitFor(t, "MO acked", func() bool {
		got := s.Counts()[testSPID]
		return got.MOAcked == 1 && got.MOResent == 1 && got.MOSent == 1
	})
}
