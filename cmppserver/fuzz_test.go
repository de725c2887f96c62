package cmppserver

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/registry"
)

// FuzzServerFrames feeds arbitrary bytes to a real server over TCP, as
// the login (first byte even) or after a valid login (odd). The server
// must not panic, and another logged-in link and new logins keep working.
func FuzzServerFrames(f *testing.F) {
	fx := newFixture(f, func(c *Config) { c.LoginFailures = 1 << 30 })
	fx.updateTenant(f, "acme", func(tn *registry.Tenant) { tn.CMPP.MaxLinks = 1000 })
	waitFor(f, 2*time.Second, "max_links 1000", func() bool {
		tn, ok := lookupAccount(fx.reg.Snapshot(), acct30)
		return ok && tn.CMPP.MaxLinks == 1000
	})
	good := dialRaw(f, fx.addr)
	if resp, _ := good.login(acct20, secret20, cmpp.V20, false); resp.Status != 0 {
		f.Fatalf("login Status %d", resp.Status)
	}
	frame := func(p cmpp.PDU, v cmpp.Version) []byte {
		b, err := cmpp.Append(nil, v, 7, p)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	sub := &cmpp.Submit{PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgFmt: 8, SrcID: "1065800001",
		DestTerminalIDs: []string{"13800138000"}, MsgContent: []byte{0, 'h', 0, 'i'}}
	for _, odd := range []byte{0, 1} {
		f.Add(append([]byte{odd}, frame(&cmpp.ActiveTest{}, cmpp.V30)...))
		f.Add(append([]byte{odd}, frame(&cmpp.Terminate{}, cmpp.V30)...))
		f.Add(append([]byte{odd}, frame(sub, cmpp.V30)...))
		f.Add(append([]byte{odd}, frame(&cmpp.Connect{SourceAddr: acct30, Version: cmpp.V30}, cmpp.V30)...))
		f.Add(append([]byte{odd}, frame(&cmpp.DeliverResp{MsgID: 1}, cmpp.V30)...))
		f.Add(append([]byte{odd}, hdr(0xffffffff, 4, 1)...))
		f.Add(append([]byte{odd}, hdr(13, 8, 1)...))
	}
	f.Add([]byte{1})
	var seq uint32 = 1000
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		r := dialRaw(t, fx.addr)
		if data[0]&1 == 1 {
			if resp, _ := r.login(acct30, secret30, cmpp.V30, false); resp.Status != 0 {
				t.Fatalf("login Status %d", resp.Status)
			}
		}
		_ = r.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_, _ = r.conn.Write(data[1:])
		// Read what the server says until it closes or goes quiet.
		_ = r.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			if _, err := r.fr.ReadFrame(); err != nil {
				break
			}
		}
		_ = r.conn.Close()
		seq++
		good.t = t // the target runs one input at a time per process
		good.ping(seq)
		if containsLog(fx, "panic") {
			t.Fatalf("panic in the server log")
		}
	})
}
