package ismgsim_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
)

// End-to-end tests with the project's own SP client (cmpp.Link).

const (
	spID   = "900001"
	secret = "888888"
)

func startSim(t *testing.T, cfg ismgsim.Config) *ismgsim.Server {
	t.Helper()
	cfg.Accounts = append(cfg.Accounts, ismgsim.Account{SPID: spID, Secret: secret})
	s, err := ismgsim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func dial(t *testing.T, s *ismgsim.Server, v cmpp.Version, h cmpp.DeliverHandler) *cmpp.Link {
	t.Helper()
	l, err := cmpp.Dial(context.Background(), cmpp.LinkConfig{Addr: s.Addr(), SPID: spID, Secret: secret,
		Version: v, ConnectTimeout: 5 * time.Second, DeliverHandler: h})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = l.Close(ctx)
	})
	return l
}

func submit(dest string, report bool) *cmpp.Submit {
	s := &cmpp.Submit{PkTotal: 1, PkNumber: 1, ServiceID: "TEST", FeeUserType: 2, MsgSrc: spID,
		FeeType: "01", FeeCode: "000000", SrcID: "1065800001", DestTerminalIDs: []string{dest}, MsgContent: []byte("hi")}
	if report {
		s.RegisteredDelivery = 1
	}
	return s
}

func TestLinkSubmitAndReports(t *testing.T) {
	s := startSim(t, ismgsim.Config{ReportDelay: 10 * time.Millisecond,
		StatMix: []ismgsim.StatWeight{{Stat: "UNDELIV", Weight: 1}}})
	s.SetFaults(ismgsim.Faults{StatOverride: map[string]string{"13900139000": "DELIVRD"}})
	reports := make(chan *cmpp.Report, 16)
	handler := func(_ context.Context, d *cmpp.Deliver) error {
		r, err := d.Report()
		if err != nil {
			return err
		}
		reports <- r
		return nil
	}
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		l := dial(t, s, v, handler)
		if l.Version() != v {
			t.Fatalf("negotiated %s, want %s", l.Version(), v)
		}
		want := map[cmpp.MsgID]string{}
		for _, dest := range []string{"13800138000", "13900139000"} {
			resp, err := l.Submit(context.Background(), submit(dest, true))
			if err != nil {
				t.Fatal(err)
			}
			want[resp.MsgID] = map[string]string{"13800138000": "UNDELIV", "13900139000": "DELIVRD"}[dest]
		}
		for range 2 {
			select {
			case r := <-reports:
				if stat, ok := want[r.MsgID]; !ok || r.Stat != stat {
					t.Fatalf("%s: report %+v, want one of %v", v, r, want)
				}
				delete(want, r.MsgID)
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: reports missing for %v", v, want)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Counts()[spID].ReportsAcked != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("counts %+v", s.Counts()[spID])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLinkFlowControlIsRetryable(t *testing.T) {
	s, err := ismgsim.NewServer(ismgsim.Config{Accounts: []ismgsim.Account{
		{SPID: spID, Secret: secret, MaxSubmitsPerSec: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	l := dial(t, s, cmpp.V30, nil)
	if _, err := l.Submit(context.Background(), submit("13800138000", false)); err != nil {
		t.Fatal(err)
	}
	resp, err := l.Submit(context.Background(), submit("13800138000", false))
	var re *cmpp.ResultError
	if !errors.As(err, &re) || re.Result != 8 || !re.Retryable() || resp == nil || resp.Result != 8 {
		t.Fatalf("second SUBMIT: %+v %v, want a retryable Result 8", resp, err)
	}
}

func TestLinkLoginErrors(t *testing.T) {
	s := startSim(t, ismgsim.Config{})
	_, err := cmpp.Dial(context.Background(), cmpp.LinkConfig{Addr: s.Addr(), SPID: spID, Secret: "wrong", ConnectTimeout: 5 * time.Second})
	if !errors.Is(err, cmpp.ErrAuth) {
		t.Fatalf("wrong secret: %v", err)
	}
	_, err = cmpp.Dial(context.Background(), cmpp.LinkConfig{Addr: s.Addr(), SPID: "999999", Secret: secret, ConnectTimeout: 5 * time.Second})
	if !errors.Is(err, cmpp.ErrUnknownAccount) {
		t.Fatalf("unknown SP: %v", err)
	}
}

func TestLinkLongMOOverTwoLinks(t *testing.T) {
	s := startSim(t, ismgsim.Config{})
	re := content.NewReassembler(content.ReassemblerOptions{})
	var mu sync.Mutex
	got := make(chan string, 1)
	perLink := [2]int{}
	handlerFor := func(i int) cmpp.DeliverHandler {
		return func(_ context.Context, d *cmpp.Deliver) error {
			mu.Lock()
			defer mu.Unlock()
			perLink[i]++
			msg, err := re.Add(time.Now(), content.Part{Sender: d.SrcTerminalID, Receiver: d.DestID,
				MsgFmt: d.MsgFmt, UDHI: content.HasUDHI(d.TPUDHI), Content: d.MsgContent})
			if err != nil {
				return err
			}
			if msg != nil {
				got <- msg.Text
			}
			return nil
		}
	}
	dial(t, s, cmpp.V30, handlerFor(0))
	dial(t, s, cmpp.V20, handlerFor(1))
	text := strings.Repeat("上行长短信。", 30) // 180 UCS2 units: 3 segments
	if err := s.InjectMO(context.Background(), ismgsim.MO{SPID: spID, From: "13800138000", To: "10658000019", Text: text}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != text {
			t.Fatalf("reassembled %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("MO not reassembled")
	}
	mu.Lock()
	defer mu.Unlock()
	if perLink[0] == 0 || perLink[1] == 0 || perLink[0]+perLink[1] != 3 {
		t.Fatalf("segments per link %v, want spread over both", perLink)
	}
}

func TestLinkSeesCloseLinksEvery(t *testing.T) {
	s := startSim(t, ismgsim.Config{})
	l := dial(t, s, cmpp.V30, nil)
	s.SetFaults(ismgsim.Faults{CloseLinksEvery: 50 * time.Millisecond})
	select {
	case <-l.Done():
		if !errors.Is(l.Err(), cmpp.ErrLinkClosed) {
			t.Fatalf("Err %v", l.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("link not closed by the fault")
	}
}
