package ismgsim

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

func TestLoginSuccessLayouts(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, tc := range []struct {
		v       cmpp.Version
		wantLen uint32
	}{{cmpp.V20, 30}, {cmpp.V21, 30}, {cmpp.V30, 33}} {
		t.Run(tc.v.String(), func(t *testing.T) {
			c := dialRaw(t, s.Addr(), tc.v)
			ts := cmpp.Timestamp(time.Now())
			resp, total := c.connect(testSPID, testSecret, tc.v, ts)
			if resp.Status != 0 || total != tc.wantLen || resp.Version != tc.v {
				t.Fatalf("Status %d Total_Length %d Version %s, want 0 %d %s", resp.Status, total, resp.Version, tc.wantLen, tc.v)
			}
			want := cmpp.AuthenticatorISMG(0, tc.v, cmpp.AuthenticatorSource(testSPID, testSecret, ts), testSecret)
			if resp.AuthenticatorISMG != want {
				t.Fatalf("AuthenticatorISMG %x, want %x", resp.AuthenticatorISMG, want)
			}
			waitFor(t, "link counted", func() bool { return s.Links(testSPID) >= 1 })
		})
	}
}

// The §12.2 published vector: 900001 / 888888 / 1021080510 (a stale
// timestamp, accepted).
func TestLoginPublishedVector(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, tc := range []struct {
		v    cmpp.Version
		want string
	}{{cmpp.V20, "6c0b846e25bab6daa4ed1c466e0f4bd8"}, {cmpp.V30, "7942977274098cf210ab0c16c367bc8d"}} {
		c := dialRaw(t, s.Addr(), tc.v)
		resp, _ := c.connect(testSPID, testSecret, tc.v, 1021080510)
		if resp.Status != 0 {
			t.Fatalf("%s: Status %d", tc.v, resp.Status)
		}
		if got := hexOf(resp.AuthenticatorISMG[:]); got != tc.want {
			t.Fatalf("%s: AuthenticatorISMG %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestLoginBothMD5FormsForShortSPID(t *testing.T) {
	s := newTestServer(t, Config{Accounts: []Account{{SPID: "9001", Secret: "pw"}}})
	ts := cmpp.Timestamp(time.Now())
	raw := cmpp.AuthenticatorSource("9001", "pw", ts)
	padded := cmpp.AuthenticatorSourcePadded("9001", "pw", ts)
	if raw == padded {
		t.Fatal("test needs the two forms to differ")
	}
	for name, auth := range map[string][16]byte{"raw": raw, "padded": padded} {
		c := dialRaw(t, s.Addr(), cmpp.V30)
		c.send(1, &cmpp.Connect{SourceAddr: "9001", AuthenticatorSource: auth, Version: cmpp.V30, Timestamp: ts})
		_, p := c.recv()
		if st := p.(*cmpp.ConnectResp).Status; st != 0 {
			t.Fatalf("%s form: Status %d", name, st)
		}
		if want := cmpp.AuthenticatorISMG(0, cmpp.V30, auth, "pw"); p.(*cmpp.ConnectResp).AuthenticatorISMG != want {
			t.Fatalf("%s form: AuthenticatorISMG not computed from the received AuthenticatorSource", name)
		}
	}
}

func TestLoginFailures(t *testing.T) {
	s := newTestServer(t, Config{Accounts: []Account{
		{SPID: testSPID, Secret: testSecret},
		{SPID: "900002", Secret: "pw", Version: cmpp.V20},
	}})
	for _, tc := range []struct {
		name, spID, secret string
		v                  cmpp.Version
		wantStatus         uint32
		wantLen            uint32
		wantVersion        cmpp.Version
	}{
		{"unknown SP_Id", "999999", testSecret, cmpp.V30, 2, 33, cmpp.V30},
		{"unknown SP_Id 2.0", "999999", testSecret, cmpp.V20, 2, 30, cmpp.V20},
		{"bad secret", testSPID, "wrongpw", cmpp.V30, 3, 33, cmpp.V30},
		{"bad secret 2.0", testSPID, "wrongpw", cmpp.V20, 3, 30, cmpp.V20},
		{"3.0 on a 2.0 account", "900002", "pw", cmpp.V30, 4, 30, cmpp.V20},
		{"2.1 on a 2.0 account", "900002", "pw", cmpp.V21, 4, 30, cmpp.V20},
		{"version above 3.0", testSPID, testSecret, 0x31, 4, 33, cmpp.V30},
		{"version below 2.0", testSPID, testSecret, 0x12, 1, 30, cmpp.V20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, s.Addr(), tc.v)
			resp, total := c.connect(tc.spID, tc.secret, tc.v, cmpp.Timestamp(time.Now()))
			if resp.Status != tc.wantStatus || total != tc.wantLen || resp.Version != tc.wantVersion {
				t.Fatalf("Status %d Total_Length %d Version %s, want %d %d %s",
					resp.Status, total, resp.Version, tc.wantStatus, tc.wantLen, tc.wantVersion)
			}
			if resp.AuthenticatorISMG != [16]byte{} {
				t.Fatalf("AuthenticatorISMG %x on failure, want zeros", resp.AuthenticatorISMG)
			}
			c.expectClosed()
		})
	}
	if n := s.Links(testSPID) + s.Links("900002"); n != 0 {
		t.Fatalf("%d links logged in after failures", n)
	}
}

func TestLoginTooManyLinks(t *testing.T) {
	s := newTestServer(t, Config{Accounts: []Account{{SPID: testSPID, Secret: testSecret, MaxLinks: 1}}})
	first := loginRaw(t, s, cmpp.V30)
	c := dialRaw(t, s.Addr(), cmpp.V30)
	resp, _ := c.connect(testSPID, testSecret, cmpp.V30, cmpp.Timestamp(time.Now()))
	if resp.Status != statusTooManyLinks {
		t.Fatalf("second link Status %d, want %d", resp.Status, statusTooManyLinks)
	}
	c.expectClosed()
	_ = first.conn.Close()
	waitFor(t, "first link gone", func() bool { return s.Links(testSPID) == 0 })
	loginRaw(t, s, cmpp.V30) // the slot is free again
	if n := s.Links(testSPID); n != 1 {
		t.Fatalf("Links = %d, want 1", n)
	}
}

func TestNonConnectBeforeLoginCloses(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, p := range []cmpp.PDU{testSubmit(), &cmpp.ActiveTest{}, &cmpp.Terminate{}} {
		c := dialRaw(t, s.Addr(), cmpp.V30)
		c.send(1, p)
		c.expectClosed()
	}
}

func TestSecondConnectCloses(t *testing.T) {
	s := newTestServer(t, Config{})
	c := loginRaw(t, s, cmpp.V30)
	ts := cmpp.Timestamp(time.Now())
	c.send(9, &cmpp.Connect{SourceAddr: testSPID, AuthenticatorSource: cmpp.AuthenticatorSource(testSPID, testSecret, ts),
		Version: cmpp.V30, Timestamp: ts})
	c.expectClosed()
	waitFor(t, "link detached", func() bool { return s.Links(testSPID) == 0 })
}

func TestLoginTimeout(t *testing.T) {
	s := newTestServer(t, Config{ResponseTimeout: 100 * time.Millisecond})
	c := dialRaw(t, s.Addr(), cmpp.V30)
	c.expectClosed() // nothing sent: closed after ResponseTimeout
}
