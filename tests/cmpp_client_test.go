package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// customer is the test's CMPP customer: the project's own client
// (cmpp.Dial, window 16) whose DeliverHandler records every report and MO
// DELIVER, over links that pass through cutProxies so that the test can
// drop a link abruptly and see which DELIVER_RESPs reached smsbridge.
type customer struct {
	t               *testing.T
	account, secret string
	version         cmpp.Version
	led             *ledger

	mu      sync.Mutex
	reports map[cmpp.MsgID][]cmpp.Report // report Msg_Id → every report DELIVER handled
	mo      []cmpp.Deliver
	n       int // links dialled
}

func newCustomer(t *testing.T, account, secret string) *customer {
	return &customer{t: t, account: account, secret: secret, version: cmpp.V30, led: newLedger(),
		reports: map[cmpp.MsgID][]cmpp.Report{}}
}

// custLink is one logged-in link of the customer.
type custLink struct {
	*cmpp.Link
	name    string
	replica string
	proxy   *cutProxy
}

// dial logs in to the CMPP server at addr (of replica) through a new
// cutProxy; the link is closed (TERMINATE) when the test ends.
func (c *customer) dial(addr, replica string) (*custLink, error) {
	c.mu.Lock()
	c.n++
	name := fmt.Sprintf("%s#%d", replica, c.n)
	c.mu.Unlock()
	px := newCutProxy(c.t, addr, name, replica, c.led)
	l, err := cmpp.Dial(context.Background(), cmpp.LinkConfig{
		Addr: px.addr(), SPID: c.account, Secret: c.secret, Version: c.version,
		Window: 16, ResponseTimeout: 30 * time.Second, DeliverHandler: c.handle,
	})
	if err != nil {
		px.cut()
		return nil, err
	}
	c.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = l.Close(ctx)
	})
	return &custLink{Link: l, name: name, replica: replica, proxy: px}, nil
}

// mustDial is dial that fails the test on error.
func (c *customer) mustDial(addr, replica string) *custLink {
	c.t.Helper()
	l, err := c.dial(addr, replica)
	if err != nil {
		c.t.Fatalf("customer login on %s: %v", replica, err)
	}
	return l
}

// handle is the DeliverHandler: it records and acknowledges everything.
func (c *customer) handle(_ context.Context, d *cmpp.Deliver) error {
	if d.RegisteredDelivery != 1 {
		c.mu.Lock()
		c.mo = append(c.mo, *d)
		c.mu.Unlock()
		return nil
	}
	r, err := d.Report()
	if err != nil {
		c.t.Errorf("undecodable report DELIVER: %v", err)
		return nil
	}
	c.mu.Lock()
	c.reports[r.MsgID] = append(c.reports[r.MsgID], *r)
	c.mu.Unlock()
	return nil
}

// reportsOf returns the report DELIVERs handled for id.
func (c *customer) reportsOf(id cmpp.MsgID) []cmpp.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]cmpp.Report(nil), c.reports[id]...)
}

// reportCount returns how many distinct Msg_Ids of ids have a report.
func (c *customer) reportCount(ids []cmpp.MsgID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, id := range ids {
		if len(c.reports[id]) > 0 {
			n++
		}
	}
	return n
}

// allReports returns a copy of every report handled, by Msg_Id.
func (c *customer) allReports() map[cmpp.MsgID][]cmpp.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[cmpp.MsgID][]cmpp.Report, len(c.reports))
	for k, v := range c.reports {
		out[k] = append([]cmpp.Report(nil), v...)
	}
	return out
}

// cutProxy forwards one customer connection to a CMPP server frame by
// frame, noting in the ledger each report DELIVER passed to the client
// and each DELIVER_RESP passed to the server. cut drops the link the way a
// failing network or a crashed client does: no TERMINATE; what was passed
// on before reaches the server, nothing after.
type cutProxy struct {
	t       *testing.T
	ln      net.Listener
	target  string
	name    string
	replica string
	led     *ledger

	mu             sync.Mutex // guards the fields below and every forwarding write
	client, server net.Conn
	isCut          bool
}

func newCutProxy(t *testing.T, target, name, replica string, led *ledger) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, target: target, name: name, replica: replica, led: led}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); p.serve(&wg) }()
	t.Cleanup(func() {
		p.cut()
		p.mu.Lock()
		if p.server != nil {
			_ = p.server.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

// serve accepts the one connection of the link and pumps both ways.
func (p *cutProxy) serve(wg *sync.WaitGroup) {
	client, err := p.ln.Accept()
	_ = p.ln.Close()
	if err != nil {
		return
	}
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = client.Close()
		return
	}
	p.mu.Lock()
	p.client, p.server = client, server
	if p.isCut {
		_ = client.Close()
		_ = server.Close()
	}
	p.mu.Unlock()
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(server, client, true) }()
	go func() { defer wg.Done(); p.pump(client, server, false) }()
}

// pump copies whole frames from src to dst until either side ends;
// fromServer tells the direction.
func (p *cutProxy) pump(src, dst net.Conn, fromServer bool) {
	fr := cmpp.NewFrameReader(src, cmpp.MaxFrameLen)
	for {
		frame, err := fr.ReadFrame()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = dst.Close()
			} else if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
		p.mu.Lock()
		if p.isCut {
			p.mu.Unlock()
			continue // read and drop: the link is gone
		}
		_, werr := dst.Write(frame)
		if werr == nil {
			p.note(frame, fromServer)
		}
		p.mu.Unlock()
		if werr != nil {
			_ = src.Close()
			return
		}
	}
}

// note records a report DELIVER given to the client or a DELIVER_RESP
// given to the server (called with p.mu held, after the write).
func (p *cutProxy) note(frame []byte, fromServer bool) {
	h, err := cmpp.DecodeHeader(frame)
	if err != nil {
		return
	}
	switch {
	case fromServer && h.CommandID == cmpp.CmdDeliver:
		_, pdu, err := cmpp.Decode(frame, cmpp.V30)
		if err != nil {
			p.t.Errorf("%s: undecodable DELIVER from smsbridge: %v", p.name, err)
			return
		}
		d := pdu.(*cmpp.Deliver)
		if d.RegisteredDelivery != 1 {
			return
		}
		r, err := d.Report()
		if err != nil {
			p.t.Errorf("%s: undecodable report: %v", p.name, err)
			return
		}
		p.led.delivered(p.name, h.SequenceID, r.MsgID)
	case !fromServer && h.CommandID == cmpp.CmdDeliverResp:
		p.led.answered(p.name, p.replica, h.SequenceID)
	}
}

// cut drops the link: the client's side is closed at once; the server's
// side gets FIN after everything already passed on (no TERMINATE), and
// nothing more is forwarded either way.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isCut {
		return
	}
	p.isCut = true
	_ = p.ln.Close()
	if p.client != nil {
		_ = p.client.Close()
	}
	if tc, ok := p.server.(*net.TCPConn); ok {
		_ = tc.CloseWrite() // the server reads what was passed on, then EOF
	}
}

// ledger keeps, across all the customer's links, which report DELIVERs
// were passed to the client and which of them had a DELIVER_RESP passed
// to smsbridge, to tell a report delivered twice although answered from a
// resend the client never answered.
type ledger struct {
	mu      sync.Mutex
	inst    map[string]cmpp.MsgID // link/seq of a DELIVER → its report Msg_Id
	answers map[cmpp.MsgID]answerAt
	seen    map[cmpp.MsgID]int
	// resends counts report DELIVERs passed again before any answer of
	// theirs reached smsbridge (resends the client did not answer).
	resends int
	// again lists report DELIVERs passed again, on another link or as
	// another DELIVER, after their DELIVER_RESP had reached smsbridge.
	again []againAt
}

// answerAt is where a report's first DELIVER_RESP went.
type answerAt struct{ link, replica, inst string }

// againAt is a report delivered again after it was answered.
type againAt struct {
	id cmpp.MsgID
	answerAt
	link string
}

func newLedger() *ledger {
	return &ledger{inst: map[string]cmpp.MsgID{}, answers: map[cmpp.MsgID]answerAt{}, seen: map[cmpp.MsgID]int{}}
}

func (l *ledger) delivered(link string, seq uint32, id cmpp.MsgID) {
	key := fmt.Sprintf("%s/%d", link, seq)
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, sameInst := l.inst[key]
	sameInst = sameInst && prev == id
	l.inst[key] = id
	l.seen[id]++
	if l.seen[id] == 1 {
		return
	}
	if a, ok := l.answers[id]; ok && !(sameInst && a.inst == key) {
		l.again = append(l.again, againAt{id: id, answerAt: a, link: link})
		return
	}
	l.resends++
}

func (l *ledger) answered(link, replica string, seq uint32) {
	key := fmt.Sprintf("%s/%d", link, seq)
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.inst[key]
	if !ok {
		return
	}
	if _, done := l.answers[id]; !done {
		l.answers[id] = answerAt{link: link, replica: replica, inst: key}
	}
}

// verdict splits the reports delivered again after an answer into those
// whose answer went to a replica that stayed up (a defect) and those whose
// answer went to a replica in killed (lost with the process).
func (l *ledger) verdict(killed map[string]bool) (defects []againAt, lostWithKill, resends int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.again {
		if killed[a.replica] {
			lostWithKill++
		} else {
			defects = append(defects, a)
		}
	}
	return defects, lostWithKill, l.resends
}
