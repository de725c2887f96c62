package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
)

// dialStatus logs in to addr as account/secret asking for version v and
// returns the CONNECT_RESP Status (0 with the link, closed at the end of
// the test).
func dialStatus(t *testing.T, addr, account, secret string, v cmpp.Version) (uint32, *cmpp.Link) {
	t.Helper()
	l, err := cmpp.Dial(context.Background(), cmpp.LinkConfig{Addr: addr, SPID: account, Secret: secret, Version: v})
	if err == nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = l.Close(ctx)
		})
		return 0, l
	}
	var ce *cmpp.ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("login %s: %v (no CONNECT_RESP)", account, err)
	}
	return ce.Status, nil
}

// rawConnect sends a CONNECT asking for version v and returns the
// CONNECT_RESP's Total_Length, Status and Version, read in the layout its
// length says (30: 2.0, 33: 3.0).
func rawConnect(t *testing.T, addr, account, secret string, v cmpp.Version) (total int, status uint32, version cmpp.Version) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	ts := cmpp.Timestamp(time.Now())
	frame, err := cmpp.Append(nil, v, 1, &cmpp.Connect{SourceAddr: account,
		AuthenticatorSource: cmpp.AuthenticatorSource(account, secret, ts), Version: v, Timestamp: ts})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	resp, err := cmpp.NewFrameReader(conn, 0).ReadFrame()
	if err != nil {
		t.Fatalf("reading CONNECT_RESP: %v", err)
	}
	layout := cmpp.V30
	if len(resp) == 30 {
		layout = cmpp.V20
	}
	h, pdu, err := cmpp.Decode(resp, layout)
	if err != nil {
		t.Fatalf("CONNECT_RESP of %d bytes: %v", len(resp), err)
	}
	cr, ok := pdu.(*cmpp.ConnectResp)
	if !ok || h.SequenceID != 1 {
		t.Fatalf("got %s seq %d instead of CONNECT_RESP 1", h.CommandID, h.SequenceID)
	}
	return len(resp), cr.Status, cr.Version
}

// addCMPPTenant creates, through gw's registry, a tenant with CMPP access
// and waits until gw's CMPP server knows the account (a login gets
// another Status than 2).
func addCMPPTenant(t *testing.T, g *cmppGW, name string, access registry.CMPPAccess) {
	t.Helper()
	if _, err := g.gw.Registry().CreateTenant(context.Background(), tester, registry.Tenant{Name: name,
		Channels: []string{"default"}, WebhookSecret: webhookSecret, CMPP: &access}); err != nil {
		t.Fatalf("create tenant %s: %v", name, err)
	}
	testenv.WaitFor(t, 2*time.Second, "account "+access.Account+" known", func() bool {
		st, _ := dialStatus(t, g.cmpp, access.Account, "wrong-secret", cmpp.V20)
		return st != cmpp.ConnectBadSourceAddr
	})
}

// Each login failure gets its Status (PROTOCOL.md §3.2): 2 unknown
// account, 3 bad secret, 4 version too high (answered in the 2.0 layout
// for a 2.0 account), 5 for an address outside allowed_ips and for a login
// beyond max_links; a failed login is closed. Both AuthenticatorSource
// forms are accepted for a short account.
func TestCMPPLoginStatuses(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	g := runCMPPGateway(t, cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), MaxLinks: 2})

	if st, _ := dialStatus(t, g.cmpp, "999999", cmppSecret, cmpp.V30); st != cmpp.ConnectBadSourceAddr {
		t.Errorf("unknown account: Status %d, want 2", st)
	}
	if st, _ := dialStatus(t, g.cmpp, cmppAccount, "not-the-secret", cmpp.V30); st != cmpp.ConnectAuthFailed {
		t.Errorf("bad secret: Status %d, want 3", st)
	}

	// max_links 2: the third login is refused with 5 ("other").
	for i := range 2 {
		if st, _ := dialStatus(t, g.cmpp, cmppAccount, cmppSecret, cmpp.V30); st != 0 {
			t.Fatalf("login %d within max_links: Status %d", i+1, st)
		}
	}
	if st, _ := dialStatus(t, g.cmpp, cmppAccount, cmppSecret, cmpp.V30); st != cmpp.ConnectOtherError {
		t.Errorf("login beyond max_links 2: Status %d, want 5", st)
	}

	// A 2.0-only account asking for 3.0: Status 4 in the 2.0 layout.
	addCMPPTenant(t, g, "v2co", registry.CMPPAccess{Account: "920003", Secret: "v2-secret", Version: "2.0", ServiceCode: "1069003"})
	total, st, v := rawConnect(t, g.cmpp, "920003", "v2-secret", cmpp.V30)
	if st != cmpp.ConnectVersionTooHigh || total != 30 || v != cmpp.V20 {
		t.Errorf("3.0 asked of a 2.0 account: CONNECT_RESP %d bytes Status %d Version %s, want 30 bytes, Status 4, 2.0", total, st, v)
	}
	if st, _ := dialStatus(t, g.cmpp, "920003", "v2-secret", cmpp.V20); st != 0 {
		t.Errorf("2.0 login of a 2.0 account: Status %d", st)
	}

	// allowed_ips 10.0.0.0/8 only: a login from 127.0.0.1 gets 5.
	addCMPPTenant(t, g, "ipco", registry.CMPPAccess{Account: "920004", Secret: "ip-secret", AllowedIPs: []string{"10.0.0.0/8"}, ServiceCode: "1069004"})
	if st, _ := dialStatus(t, g.cmpp, "920004", "ip-secret", cmpp.V30); st != cmpp.ConnectOtherError {
		t.Errorf("login from 127.0.0.1 with allowed_ips [10.0.0.0/8]: Status %d, want 5", st)
	}

	// A 4-character account logs in with either AuthenticatorSource form.
	addCMPPTenant(t, g, "shortco", registry.CMPPAccess{Account: "9205", Secret: "short-secret", ServiceCode: "1069005"})
	if st, _ := dialStatus(t, g.cmpp, "9205", "short-secret", cmpp.V30); st != 0 {
		t.Errorf("short account, unpadded AuthenticatorSource: Status %d", st)
	}
	conn, err := net.DialTimeout("tcp", g.cmpp, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ts := cmpp.Timestamp(time.Now())
	frame, _ := cmpp.Append(nil, cmpp.V30, 1, &cmpp.Connect{SourceAddr: "9205",
		AuthenticatorSource: cmpp.AuthenticatorSourcePadded("9205", "short-secret", ts), Version: cmpp.V30, Timestamp: ts})
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	resp, err := cmpp.NewFrameReader(conn, 0).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if _, pdu, err := cmpp.Decode(resp, cmpp.V30); err != nil || pdu.(*cmpp.ConnectResp).Status != 0 {
		t.Errorf("short account, zero-padded AuthenticatorSource: %v %+v", err, pdu)
	}
}

// Failed logins from one address are slowed down: after login_failures
// (3 here) bad secrets, even the right secret gets Status 5.
func TestCMPPFailedLoginsBlockAddress(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	g := runCMPPGateway(t, cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), LoginFailures: 3})
	for i := range 3 {
		if st, _ := dialStatus(t, g.cmpp, cmppAccount, fmt.Sprintf("guess-%d", i), cmpp.V30); st != cmpp.ConnectAuthFailed {
			t.Fatalf("bad secret %d: Status %d, want 3", i+1, st)
		}
	}
	if st, _ := dialStatus(t, g.cmpp, cmppAccount, cmppSecret, cmpp.V30); st != cmpp.ConnectOtherError {
		t.Errorf("right secret after 3 failures within the window: Status %d, want 5 (address blocked)", st)
	}
}

// The account's max_submits_per_sec holds: SUBMITs beyond it get Result
// 8 and are not stored (never reach the simulator); the accepted ones are
// sent and reported.
func TestCMPPSubmitRateResult8(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	const rate = 20
	g := runCMPPGateway(t, cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), MaxSubmitsPerSec: rate})
	c := newCustomer(t, cmppAccount, cmppSecret)
	l := c.mustDial(g.cmpp, "g")
	segs := makeSegments(200, 300000)
	var (
		mu              sync.Mutex
		ok, limited     []*seg
		okIDs           []cmpp.MsgID
		wg              sync.WaitGroup
		next            = make(chan *seg)
		start           = time.Now()
		unexpectedError error
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range next {
				resp, err := l.Submit(context.Background(), x.submit())
				var re *cmpp.ResultError
				mu.Lock()
				switch {
				case err == nil:
					ok = append(ok, x)
					okIDs = append(okIDs, resp.MsgID)
				case errors.As(err, &re) && re.Result == cmpp.ResultFlowControl:
					limited = append(limited, x)
				default:
					unexpectedError = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, x := range segs {
		next <- x
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	if unexpectedError != nil {
		t.Fatalf("SUBMIT: %v", unexpectedError)
	}
	// A GCRA allows one second's worth at once, then rate per second.
	bound := rate + int(float64(rate)*elapsed.Seconds()) + 1
	t.Logf("200 SUBMITs in %v at max_submits_per_sec %d: %d accepted, %d Result 8", elapsed.Round(time.Millisecond), rate, len(ok), len(limited))
	if len(ok) == 0 || len(limited) == 0 || len(ok) > bound {
		t.Fatalf("%d accepted (bound %d), %d refused with Result 8", len(ok), bound, len(limited))
	}
	ids := okIDs
	testenv.WaitFor(t, 30*time.Second, "reports of the accepted SUBMITs", func() bool { return c.reportCount(ids) == len(ids) })
	checkSimulator(t, sim, ok)
	refused := map[string]bool{}
	for _, x := range limited {
		refused[x.key()] = true
	}
	for _, r := range sim.ReceivedFor(spID, 0) {
		if refused[r.Dest+"\x00"+string(r.Content)] {
			t.Errorf("a SUBMIT answered Result 8 reached the simulator (to %s)", r.Dest)
		}
	}
}

// Reports of segments that become final while the account has no link are
// queued and arrive after its next login.
func TestCMPPReportsWaitForNextLogin(t *testing.T) {
	env := testenv.Redis(t)
	// Reports come 500 ms after the SUBMIT: the customer has logged out.
	sim := newSim(t, 0, func(c *ismgsim.Config) { c.ReportDelay = 500 * time.Millisecond })
	cfg := cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()}
	g := runCMPPGateway(t, cfg)
	st := newCMPPStore(t, env, cfg)
	c := newCustomer(t, cmppAccount, cmppSecret)
	l := c.mustDial(g.cmpp, "g")
	segs := makeSegments(20, 400000)
	s := newStream(t, segs)
	s.run([]*custLink{l}, nil)
	if s.left() != 0 {
		t.Fatalf("%d segments not answered", s.left())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	ids := s.msgIDs()
	early := c.reportCount(ids)
	testenv.WaitFor(t, 20*time.Second, "the reports queued for the offline account", func() bool {
		ready, leased, err := st.CMPPWaiting(context.Background(), "default", cmppAccount)
		return err == nil && int(ready) == len(ids)-early && leased == 0
	})
	if early == len(ids) {
		t.Fatalf("every report arrived before the logout; nothing was queued offline")
	}
	c.mustDial(g.cmpp, "g")
	waitReports(t, c, s, 20*time.Second)
	waitSettled(t, st, sim, 20*time.Second)
	if orphans, _, _ := checkReports(t, c, s, nil); orphans != 0 {
		t.Errorf("%d reports for unknown Msg_Ids", orphans)
	}
	t.Logf("%d of %d reports waited for the next login", len(ids)-early, len(ids))
}

// max_links 2 holds across two replicas: the third login on either gets
// Status 5; after the replica holding a link is SIGKILLed, its slot comes
// back within link_lease.
func TestCMPPMaxLinksAcrossReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	const lease = 3 * time.Second
	cfg := cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), MaxLinks: 2, LinkLease: "3s"}
	a, b := startCMPPProcess(t, cfg), startCMPPProcess(t, cfg)
	if st, _ := dialStatus(t, a.cmpp, cmppAccount, cmppSecret, cmpp.V30); st != 0 {
		t.Fatalf("first login on a: Status %d", st)
	}
	if st, _ := dialStatus(t, b.cmpp, cmppAccount, cmppSecret, cmpp.V30); st != 0 {
		t.Fatalf("second login on b: Status %d", st)
	}
	for name, p := range map[string]*cmppProc{"a": a, "b": b} {
		if st, _ := dialStatus(t, p.cmpp, cmppAccount, cmppSecret, cmpp.V30); st != cmpp.ConnectOtherError {
			t.Errorf("third login on %s: Status %d, want 5", name, st)
		}
	}
	a.kill()
	killed := time.Now()
	var l *cmpp.Link
	poll := time.NewTicker(100 * time.Millisecond) // between login attempts
	defer poll.Stop()
	for l == nil {
		if time.Since(killed) > lease+2*time.Second {
			t.Fatalf("no login on b within link_lease (%v) + 2s of the kill", lease)
		}
		var st uint32
		if st, l = dialStatus(t, b.cmpp, cmppAccount, cmppSecret, cmpp.V30); st != 0 && st != cmpp.ConnectOtherError {
			t.Fatalf("login on b after the kill: Status %d", st)
		}
		if l == nil {
			<-poll.C
		}
	}
	t.Logf("the killed replica's slot came back %v after the kill (link_lease %v)", time.Since(killed).Round(time.Millisecond), lease)
	if _, err := l.Submit(context.Background(), makeSegments(1, 500000)[0].submit()); err != nil {
		t.Errorf("SUBMIT on the new link: %v", err)
	}
}

// An account changed or removed through the admin API loses its links on
// both replicas within 1 s: a new secret (the new one logs in, the old one
// no longer does), its cmpp block set to null, its tenant deleted; a
// removed account cannot log in again (Status 2).
func TestCMPPAccountRemovedClosesLinks(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	cfg := cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), AdminKey: adminKey}
	g1, g2 := runCMPPGateway(t, cfg), runCMPPGateway(t, cfg)
	a1 := admin{t, g1.http}

	// loginBoth logs account in on both replicas, waiting (≤ 2 s) until
	// each replica knows the registry change that allows it.
	loginBoth := func(account, secret string) []*cmpp.Link {
		t.Helper()
		var links []*cmpp.Link
		for _, g := range []*cmppGW{g1, g2} {
			testenv.WaitFor(t, 2*time.Second, account+" logs in on "+g.cmpp, func() bool {
				st, l := dialStatus(t, g.cmpp, account, secret, cmpp.V30)
				if st == 0 {
					links = append(links, l)
				}
				return st == 0
			})
		}
		for _, l := range links {
			if testenv.Signalled(l.Done()) {
				t.Fatalf("a link of %s closed right after its login: %v", account, l.Err())
			}
		}
		return links
	}
	waitClosed := func(what string, links []*cmpp.Link) {
		t.Helper()
		from := time.Now()
		testenv.WaitFor(t, time.Second, what+": links closed on both replicas", func() bool {
			for _, l := range links {
				if !testenv.Signalled(l.Done()) {
					return false
				}
			}
			return true
		})
		t.Logf("%s: both links closed %v after the admin call returned", what, time.Since(from).Round(time.Millisecond))
	}
	refused := func(account, secret string, want uint32) {
		t.Helper()
		for _, g := range []*cmppGW{g1, g2} {
			if st, _ := dialStatus(t, g.cmpp, account, secret, cmpp.V30); st != want {
				t.Errorf("login of %s on %s: Status %d, want %d", account, g.cmpp, st, want)
			}
		}
	}
	newTenant := func(name, account string) {
		t.Helper()
		if code := a1.do("POST", "/admin/tenants", map[string]any{
			"name": name, "channels": []string{"default"}, "webhook_secret": webhookSecret,
			"cmpp": map[string]any{"account": account, "secret": "first-secret", "service_code": "1069009"},
		}, nil); code != http.StatusCreated {
			t.Fatalf("POST /admin/tenants with cmpp: %d", code)
		}
	}

	newTenant("cmppco", "920009")
	links := loginBoth("920009", "first-secret")
	if code := a1.do("PATCH", "/admin/tenants/cmppco", map[string]any{"cmpp": map[string]any{"secret": "second-secret"}}, nil); code != http.StatusOK {
		t.Fatalf("PATCH cmpp.secret: %d", code)
	}
	waitClosed("secret changed", links)
	refused("920009", "first-secret", cmpp.ConnectAuthFailed)
	links = loginBoth("920009", "second-secret")
	if code := a1.do("PATCH", "/admin/tenants/cmppco", map[string]any{"cmpp": nil}, nil); code != http.StatusOK {
		t.Fatalf("PATCH cmpp null: %d", code)
	}
	waitClosed("cmpp: null", links)
	refused("920009", "second-secret", cmpp.ConnectBadSourceAddr)

	newTenant("cmppco2", "920010")
	links = loginBoth("920010", "first-secret")
	if code := a1.do("DELETE", "/admin/tenants/cmppco2", nil, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE tenant: %d", code)
	}
	waitClosed("tenant deleted", links)
	refused("920010", "first-secret", cmpp.ConnectBadSourceAddr)
}

// A SUBMIT to two recipients is visible through GET /sms/cmpp-<Msg_Id>
// (22-digit text) with the tenant's API key: ingress cmpp, the account
// and the Msg_Id; recipient k is reported with the Msg_Id plus k-1.
func TestCMPPSubmitVisibleInAPI(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	g := runCMPPGateway(t, cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()})
	c := newCustomer(t, cmppAccount, cmppSecret)
	l := c.mustDial(g.cmpp, "g")
	x := makeSegments(1, 600000)[0]
	sub := x.submit()
	sub.DestTerminalIDs = []string{"13900600001", "13900600002"}
	resp, err := l.Submit(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	id := "cmpp-" + resp.MsgID.String()
	if len(resp.MsgID.String()) != 22 {
		t.Fatalf("Msg_Id text %q is not 22 digits", resp.MsgID.String())
	}
	ids := []cmpp.MsgID{resp.MsgID, resp.MsgID.AddSequence(1)}
	testenv.WaitFor(t, 20*time.Second, "both recipients reported", func() bool { return c.reportCount(ids) == 2 })
	for k, want := range sub.DestTerminalIDs {
		if rs := c.reportsOf(ids[k]); len(rs) != 1 || rs[0].DestTerminalID != want || rs[0].Stat != "DELIVRD" {
			t.Errorf("reports of recipient %d (%s): %+v", k+1, ids[k], rs)
		}
	}
	cl := api{t: t, base: g.http}
	st := cl.waitStatus(id, 10*time.Second, "delivered")
	if len(st.Recipients) != 2 {
		t.Fatalf("GET %s: %d recipients, want 2", id, len(st.Recipients))
	}
	code, body := cl.do("GET", "/sms/"+id, nil, nil)
	var got struct {
		Ingress string `json:"ingress"`
		CMPP    struct {
			Account string `json:"account"`
			MsgID   string `json:"msg_id"`
		} `json:"cmpp"`
	}
	if err := json.Unmarshal(body, &got); code != http.StatusOK || err != nil {
		t.Fatalf("GET %s: %d %s", id, code, body)
	}
	if got.Ingress != "cmpp" || got.CMPP.Account != cmppAccount || got.CMPP.MsgID != resp.MsgID.String() {
		t.Errorf("GET %s: ingress %q cmpp %+v, want cmpp, %s, %s", id, got.Ingress, got.CMPP, cmppAccount, resp.MsgID)
	}
	// An HTTP request of the same tenant says ingress http.
	acc := cl.send([]string{"13900600003"}, "over http")
	_, body = cl.do("GET", "/sms/"+acc.ID, nil, nil)
	var httpReq struct {
		Ingress string `json:"ingress"`
	}
	if err := json.Unmarshal(body, &httpReq); err != nil || httpReq.Ingress != "http" {
		t.Errorf("GET of an HTTP request: ingress %q (%v)", httpReq.Ingress, err)
	}
	if n := len(sim.ReceivedFor(spID, 0)); n < 2 {
		t.Errorf("simulator received %d segments, want the SUBMIT's 2 recipients", n)
	}
}
