package ismgsim

import (
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

func TestAccountsAddUpdateRemove(t *testing.T) {
	s := newTestServer(t, Config{})
	if err := s.AddAccount(Account{SPID: testSPID, Secret: "x"}); !errors.Is(err, ErrAccountExists) {
		t.Fatalf("duplicate add: %v", err)
	}
	for _, bad := range []Account{{}, {SPID: "1234567"}, {SPID: "9", Version: 0x40}, {SPID: "9", MaxLinks: -1}} {
		if err := s.AddAccount(bad); !errors.Is(err, ErrInvalidAccount) {
			t.Fatalf("AddAccount(%+v): %v, want ErrInvalidAccount", bad, err)
		}
	}
	if err := s.UpdateAccount(Account{SPID: "777777"}); !errors.Is(err, ErrUnknownAccount) {
		t.Fatalf("update unknown: %v", err)
	}
	if err := s.RemoveAccount("777777"); !errors.Is(err, ErrUnknownAccount) {
		t.Fatalf("remove unknown: %v", err)
	}
	if err := s.AddAccount(Account{SPID: "900002", Secret: "pw", Version: cmpp.V20}); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, s.Addr(), cmpp.V20)
	if resp, _ := c.connect("900002", "pw", cmpp.V20, cmpp.Timestamp(time.Now())); resp.Status != 0 {
		t.Fatalf("login to added account: Status %d", resp.Status)
	}
	// Update live: the new secret applies to the next login.
	if err := s.UpdateAccount(Account{SPID: "900002", Secret: "new", Version: cmpp.V20, SrcIDPrefix: "1069"}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := c.submit(testSubmit()); resp.Result != 10 {
		t.Fatalf("Src_Id prefix set live: Result %d, want 10", resp.Result)
	}
	c2 := dialRaw(t, s.Addr(), cmpp.V20)
	if resp, _ := c2.connect("900002", "new", cmpp.V20, cmpp.Timestamp(time.Now())); resp.Status != 0 {
		t.Fatalf("login with the updated secret: Status %d", resp.Status)
	}
	accts := s.Accounts()
	if len(accts) != 2 || accts[0].SPID != testSPID || accts[1].SPID != "900002" || accts[1].Secret != "new" {
		t.Fatalf("Accounts() = %+v", accts)
	}
	// Remove closes every link of the account.
	if err := s.RemoveAccount("900002"); err != nil {
		t.Fatal(err)
	}
	c.expectClosed()
	c2.expectClosed()
	if s.Links("900002") != 0 || len(s.Accounts()) != 1 {
		t.Fatal("account still there")
	}
	if _, ok := s.Counts()["900002"]; !ok {
		t.Fatal("counts of a removed account are kept")
	}
	c3 := dialRaw(t, s.Addr(), cmpp.V20)
	if resp, _ := c3.connect("900002", "new", cmpp.V20, cmpp.Timestamp(time.Now())); resp.Status != 2 {
		t.Fatalf("login to a removed account: Status %d, want 2", resp.Status)
	}
}

func TestRemoveAccountDiscardsPendingReports(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: 50 * time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)
	c.submit(reportSubmit())
	if err := s.RemoveAccount(testSPID); err != nil {
		t.Fatal(err)
	}
	c.expectClosed()
	waitFor(t, "report discarded", func() bool {
		return s.Counts()[testSPID].ReportsPending == 0 && s.sched.len() == 0
	})
	if got := s.Counts()[testSPID]; got.ReportsSent != 0 {
		t.Fatalf("counts %+v", got)
	}
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]Config{
		"gateway too wide":  {GatewayID: 1 << 22},
		"negative weight":   {StatMix: []StatWeight{{Stat: "DELIVRD", Weight: -1}}},
		"zero weights":      {StatMix: []StatWeight{{Stat: "DELIVRD"}}},
		"long stat":         {StatMix: []StatWeight{{Stat: "DELIVERED", Weight: 1}}},
		"duplicate account": {Accounts: []Account{{SPID: "1"}, {SPID: "1"}}},
		"bad account":       {Accounts: []Account{{SPID: ""}}},
	} {
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("%s: NewServer accepted %+v", name, cfg)
		}
	}
	if _, err := NewServer(Config{Addr: "256.0.0.1:x"}); err == nil {
		t.Error("bad address accepted")
	}
}

func TestCloseIdempotentAndRefusesAfter(t *testing.T) {
	s, err := NewServer(Config{Accounts: []Account{{SPID: testSPID, Secret: testSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	c := loginRaw(t, s, cmpp.V30)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.expectClosed()
	if err := s.AddAccount(Account{SPID: "2"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddAccount after Close: %v", err)
	}
}
