package cmppserver

import (
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/registry"
)

// TestLoginStatus covers every CONNECT_RESP Status, its layout and the
// close after a failed login.
func TestLoginStatus(t *testing.T) {
	f := newFixture(t, nil)
	cases := []struct {
		name    string
		account string
		secret  string
		v       cmpp.Version
		padded  bool
		status  uint32
		length  int // CONNECT_RESP Total_Length: 30 (2.0 layout) or 33 (3.0)
		version cmpp.Version
		outcome string
		stays   bool
	}{
		{"unknown account", "999999", "x", cmpp.V30, false, cmpp.ConnectBadSourceAddr, 33, cmpp.V30, loginBadAccount, false},
		{"unknown account 2.0 client", "999998", "x", cmpp.V20, false, cmpp.ConnectBadSourceAddr, 30, cmpp.V20, loginBadAccount, false},
		{"bad secret", acct30, "wrong", cmpp.V30, false, cmpp.ConnectAuthFailed, 33, cmpp.V30, loginBadAuth, false},
		{"3.0 ok", acct30, secret30, cmpp.V30, false, cmpp.ConnectOK, 33, cmpp.V30, loginOK, true},
		{"2.0 client on a 3.0 account", acct30, secret30, cmpp.V20, false, cmpp.ConnectOK, 30, cmpp.V30, loginOK, true},
		{"short account unpadded form", acct20, secret20, cmpp.V20, false, cmpp.ConnectOK, 30, cmpp.V20, loginOK, true},
		{"short account padded form", acct20, secret20, cmpp.V21, true, cmpp.ConnectOK, 30, cmpp.V20, loginOK, true},
		{"3.0 asked of a 2.0-only account", acct20, secret20, cmpp.V30, false, cmpp.ConnectVersionTooHigh, 30, cmpp.V20, loginVersion, false},
		{"0x40 client", acct30, secret30, 0x40, false, cmpp.ConnectVersionTooHigh, 33, cmpp.V30, loginVersion, false},
		{"address not allowed", acctFenced, secretFen, cmpp.V30, false, cmpp.ConnectOtherError, 33, cmpp.V30, loginAddress, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := metricValue(t, f.srv.front.logins.WithLabelValues(c.outcome))
			r := dialRaw(t, f.addr)
			resp, n := r.login(c.account, c.secret, c.v, c.padded)
			if resp.Status != c.status || n != c.length || resp.Version != c.version {
				t.Fatalf("Status %d, Total_Length %d, Version %s; want %d, %d, %s", resp.Status, n, resp.Version, c.status, c.length, c.version)
			}
			if got := metricValue(t, f.srv.front.logins.WithLabelValues(c.outcome)); got != before+1 {
				t.Errorf("logins_total{result=%q} = %v, want %v", c.outcome, got, before+1)
			}
			if !c.stays {
				if resp.AuthenticatorISMG != ([16]byte{}) && resp.Status != cmpp.ConnectVersionTooHigh {
					t.Errorf("AuthenticatorISMG %x on a failed login", resp.AuthenticatorISMG)
				}
				r.waitClosed(2 * time.Second)
				return
			}
			r.send(5, &cmpp.ActiveTest{})
			h, p, _ := r.read()
			if _, ok := p.(*cmpp.ActiveTestResp); !ok || h.SequenceID != 5 {
				t.Fatalf("got %s seq %d, want ACTIVE_TEST_RESP seq 5", h.CommandID, h.SequenceID)
			}
			r.send(6, &cmpp.Terminate{})
			if h, _, _ := r.read(); h.CommandID != cmpp.CmdTerminateResp || h.SequenceID != 6 {
				t.Fatalf("got %s seq %d, want TERMINATE_RESP seq 6", h.CommandID, h.SequenceID)
			}
			r.waitClosed(2 * time.Second)
		})
	}
	if !containsLog(f, `"outcome":"bad_auth"`) || containsLog(f, secret30) {
		t.Errorf("login log lines: want outcomes and never a secret")
	}
}

// TestLoginMaxLinksAndClient checks max_links (Status 5) with the
// project's client, the links gauge, and that a closed link frees its slot.
func TestLoginMaxLinksAndClient(t *testing.T) {
	f := newFixture(t, nil)
	l1, err := dial(t, f.addr, acct30, secret30, cmpp.V30, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, f.addr, acct30, secret30, cmpp.V20, nil); err != nil {
		t.Fatal(err)
	}
	_, err = dial(t, f.addr, acct30, secret30, cmpp.V30, nil)
	var ce *cmpp.ConnectError
	if !errors.As(err, &ce) || ce.Status != cmpp.ConnectOtherError {
		t.Fatalf("third link: %v, want Status 5", err)
	}
	if got := metricValue(t, f.srv.front.linksGauge.WithLabelValues(acct30)); got != 2 {
		t.Errorf("smsbridge_cmpp_links{account=%s} = %v, want 2", acct30, got)
	}
	if got := metricValue(t, f.srv.front.logins.WithLabelValues(loginMaxLinks)); got != 1 {
		t.Errorf("logins_total{max_links} = %v, want 1", got)
	}
	closeLink(t, l1)
	waitFor(t, 2*time.Second, "gauge 1", func() bool {
		return metricValue(t, f.srv.front.linksGauge.WithLabelValues(acct30)) == 1
	})
	if _, err := dial(t, f.addr, acct30, secret30, cmpp.V30, nil); err != nil {
		t.Fatalf("after a link closed its slot is free: %v", err)
	}
}

// TestLoginBlockedAfterFailures: 5 failures from one address refuse it
// (Status 5) even with the right secret, without checking the secret.
func TestLoginBlockedAfterFailures(t *testing.T) {
	f := newFixture(t, nil)
	for i := range 5 {
		r := dialRaw(t, f.addr)
		if resp, _ := r.login(acct30, "wrong", cmpp.V30, false); resp.Status != cmpp.ConnectAuthFailed {
			t.Fatalf("failure %d: Status %d", i+1, resp.Status)
		}
	}
	r := dialRaw(t, f.addr)
	if resp, _ := r.login(acct30, secret30, cmpp.V30, false); resp.Status != cmpp.ConnectOtherError {
		t.Fatalf("blocked address: Status %d, want 5", resp.Status)
	}
	r.waitClosed(2 * time.Second)
	if got := metricValue(t, f.srv.front.logins.WithLabelValues(loginBlocked)); got != 1 {
		t.Errorf("logins_total{blocked} = %v, want 1", got)
	}
}

// TestLoginTenantDisabled: a disabled tenant's account gets Status 5.
func TestLoginTenantDisabled(t *testing.T) {
	f := newFixture(t, nil)
	f.updateTenant(t, "acme", func(tn *registry.Tenant) { tn.Disabled = true })
	waitFor(t, 2*time.Second, "snapshot", func() bool {
		tn, ok := f.reg.Snapshot().Tenant("acme")
		return ok && tn.Disabled
	})
	r := dialRaw(t, f.addr)
	if resp, _ := r.login(acct30, secret30, cmpp.V30, false); resp.Status != cmpp.ConnectOtherError {
		t.Fatalf("Status %d, want 5", resp.Status)
	}
	r.waitClosed(2 * time.Second)
}

// TestLoginTimeout closes a connection that never sends CONNECT, and
// one whose first PDU is not CONNECT.
func TestLoginTimeout(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LoginTimeout = registry.Duration(200 * time.Millisecond) })
	dialRaw(t, f.addr).waitClosed(2 * time.Second)
	r := dialRaw(t, f.addr)
	r.send(1, &cmpp.ActiveTest{})
	r.waitClosed(2 * time.Second)
}
