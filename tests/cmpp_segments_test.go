package tests

import (
	"context"
	be "encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// seg is one segment the customer submits: one SUBMIT to one recipient.
// Its content is unique (it carries the segment's number), so the
// simulator's record of it can be found by recipient and content.
type seg struct {
	id                 int
	dest               string
	srcID              string // the customer's Src_Id ("" = the service code)
	msgFmt, udhi       uint8
	pkTotal, pkNumber  uint8
	content            []byte // UDH included
	registeredDelivery uint8
}

// key identifies the segment at the simulator.
func (s *seg) key() string { return s.dest + "\x00" + string(s.content) }

// upstreamSrcID is the Src_Id smsbridge sends upstream for the segment:
// the channel's src_id plus the extension the customer put after its
// service code.
func (s *seg) upstreamSrcID() string {
	return srcID + strings.TrimPrefix(s.srcID, cmppServiceCode)
}

// submit is the customer's SUBMIT of s.
func (s *seg) submit() *cmpp.Submit {
	return &cmpp.Submit{
		PkTotal: s.pkTotal, PkNumber: s.pkNumber, RegisteredDelivery: s.registeredDelivery,
		ServiceID: "E2E", TPUDHI: s.udhi, MsgFmt: s.msgFmt, MsgSrc: cmppAccount,
		FeeType: "01", FeeCode: "000000", SrcID: s.srcID,
		DestTerminalIDs: []string{s.dest}, MsgContent: s.content,
	}
}

// ucs2 encodes text as UTF-16BE.
func ucs2(text string) []byte {
	units := utf16.Encode([]rune(text))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		be.BigEndian.PutUint16(b[2*i:], u)
	}
	return b
}

// padUCS2 makes text exactly n UTF-16 units long with CJK filler.
func padUCS2(text string, n int) string {
	for len(utf16.Encode([]rune(text))) < n {
		text += "测"
	}
	return text
}

// makeSegments returns n segments in a mix of messages (numbered from
// base, each to its own recipient): single ASCII, single UCS2, 3-segment
// UCS2 with the 6-byte UDH (8-bit reference) and 2-segment UCS2 with the
// 7-byte UDH (16-bit reference); each long message's segments are
// separate SUBMITs with Pk_total/Pk_number equal to the UDH's.
func makeSegments(n, base int) []*seg {
	var out []*seg
	for m := base; len(out) < n; m++ {
		dest := fmt.Sprintf("139%08d", m)
		ext := fmt.Sprintf("%02d", m%100)
		kind := m % 4
		if left := n - len(out); (kind == 2 && left < 3) || (kind == 3 && left < 2) {
			kind = 0
		}
		add := func(s *seg) {
			s.id, s.dest, s.registeredDelivery = len(out), dest, 1
			out = append(out, s)
		}
		switch kind {
		case 0:
			add(&seg{msgFmt: 0, pkTotal: 1, pkNumber: 1, content: []byte(fmt.Sprintf("e2e ascii %07d", m))})
		case 1:
			add(&seg{msgFmt: 8, pkTotal: 1, pkNumber: 1, srcID: cmppServiceCode + ext,
				content: ucs2(fmt.Sprintf("单条短信 %07d", m))})
		case 2:
			for i := 1; i <= 3; i++ {
				text := fmt.Sprintf("长短信%07d第%d段", m, i)
				if i < 3 {
					text = padUCS2(text, 67) // 134 octets after the 6-byte UDH
				}
				udh := []byte{0x05, 0x00, 0x03, byte(m), 3, byte(i)}
				add(&seg{msgFmt: 8, udhi: 1, pkTotal: 3, pkNumber: uint8(i), srcID: cmppServiceCode + ext,
					content: append(udh, ucs2(text)...)})
			}
		case 3:
			for i := 1; i <= 2; i++ {
				text := fmt.Sprintf("十六位参考%07d/%d", m, i)
				if i < 2 {
					text = padUCS2(text, 66) // 132 octets after the 7-byte UDH
				}
				udh := []byte{0x06, 0x08, 0x04, byte(m >> 8), byte(m), 2, byte(i)}
				add(&seg{msgFmt: 8, udhi: 1, pkTotal: 2, pkNumber: uint8(i), srcID: cmppServiceCode,
					content: append(udh, ucs2(text)...)})
			}
		}
	}
	return out
}

// stream submits segments over the customer's links, 16 SUBMITs in flight
// per link (the window), and remembers each SUBMIT_RESP Msg_Id. A SUBMIT
// that fails because its link went down is put back for the next links
// (the customer resubmits what was not answered).
type stream struct {
	t *testing.T

	mu          sync.Mutex
	todo        []*seg
	byMsgID     map[cmpp.MsgID]*seg // Result 0 answers
	resubmitted int                 // SUBMITs unanswered when their link dropped
	answered    atomic.Int64
	failed      atomic.Bool // a SUBMIT got Result ≠ 0
}

func newStream(t *testing.T, segs []*seg) *stream {
	return &stream{t: t, todo: append([]*seg(nil), segs...), byMsgID: map[cmpp.MsgID]*seg{}}
}

func (s *stream) pop() *seg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.todo) == 0 || s.failed.Load() {
		return nil
	}
	x := s.todo[len(s.todo)-1]
	s.todo = s.todo[:len(s.todo)-1]
	return x
}

func (s *stream) left() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.todo)
}

// run submits over links until nothing is left or every link is down;
// at(n) is called (once per count, on a submitting goroutine) after each
// answer.
func (s *stream) run(links []*custLink, at func(n int64)) {
	var wg sync.WaitGroup
	for _, l := range links {
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.worker(l, at)
			}()
		}
	}
	wg.Wait()
}

func (s *stream) worker(l *custLink, at func(n int64)) {
	for {
		x := s.pop()
		if x == nil {
			return
		}
		resp, err := l.Submit(context.Background(), x.submit())
		if err != nil {
			var re *cmpp.ResultError
			if errors.As(err, &re) {
				s.failed.Store(true)
				s.t.Errorf("segment %d on %s: %v", x.id, l.name, err)
				return
			}
			s.mu.Lock()
			s.todo = append(s.todo, x)
			s.resubmitted++
			s.mu.Unlock()
			return // the link is down
		}
		s.mu.Lock()
		if prev, dup := s.byMsgID[resp.MsgID]; dup {
			s.t.Errorf("Msg_Id %s answered twice (segments %d and %d)", resp.MsgID, prev.id, x.id)
		}
		s.byMsgID[resp.MsgID] = x
		s.mu.Unlock()
		n := s.answered.Add(1)
		if at != nil {
			at(n)
		}
	}
}

// msgIDs returns the Msg_Ids answered so far.
func (s *stream) msgIDs() []cmpp.MsgID {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]cmpp.MsgID, 0, len(s.byMsgID))
	for id := range s.byMsgID {
		out = append(out, id)
	}
	return out
}

// checkSimulator checks that every segment reached the simulator, accepted,
// with its UDH, content, format and Pk fields byte-identical, and returns
// how many segments were received more than once (extra copies).
func checkSimulator(t *testing.T, sim *ismgsim.Server, segs []*seg) (dups int) {
	t.Helper()
	got := map[string][]ismgsim.ReceivedSegment{}
	for _, r := range sim.ReceivedFor(spID, 0) {
		if r.Result == 0 {
			k := r.Dest + "\x00" + string(r.Content)
			got[k] = append(got[k], r)
		}
	}
	missing := 0
	for _, s := range segs {
		rs := got[s.key()]
		if len(rs) == 0 {
			if missing++; missing <= 5 {
				t.Errorf("segment %d (to %s, Pk %d/%d, fmt %d) never reached the simulator intact", s.id, s.dest, s.pkNumber, s.pkTotal, s.msgFmt)
			}
			continue
		}
		dups += len(rs) - 1
		r := rs[0]
		if r.MsgFmt != s.msgFmt || r.TPUDHI != s.udhi || r.PkTotal != s.pkTotal || r.PkNumber != s.pkNumber || r.Recipients != 1 {
			t.Errorf("segment %d arrived as fmt %d udhi %d Pk %d/%d recipients %d, sent as fmt %d udhi %d Pk %d/%d",
				s.id, r.MsgFmt, r.TPUDHI, r.PkNumber, r.PkTotal, r.Recipients, s.msgFmt, s.udhi, s.pkNumber, s.pkTotal)
		}
		if r.SrcID != s.upstreamSrcID() {
			t.Errorf("segment %d: upstream Src_Id %q, want %q (channel src_id + the customer's extension)", s.id, r.SrcID, s.upstreamSrcID())
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d segments never reached the simulator intact", missing, len(segs))
	}
	return dups
}

// waitSettled waits until nothing is left in flight anywhere: the channel's
// queue is empty with no report awaited, the simulator has sent a report
// for every recipient it accepted and had each acknowledged, and the
// account's DELIVER queue is empty (every report handed to the customer
// and answered). After that no report can arrive any more.
func waitSettled(t *testing.T, st *store.Store, sim *ismgsim.Server, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	var last string
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		q, err1 := st.QueueDepth(ctx, "default")
		ready, leased, err2 := st.CMPPWaiting(ctx, "default", cmppAccount)
		c := sim.Counts()[spID]
		last = fmt.Sprintf("queue %+v (err %v); DELIVERs waiting %d ready %d leased (err %v); simulator %+v", q, err1, ready, leased, err2, c)
		if err1 == nil && err2 == nil && q.Pending+q.Scheduled+q.Leased+q.AwaitingReports == 0 &&
			c.ReportsPending == 0 && c.ReportsSent >= c.Recipients && ready+leased == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after %v: %s", timeout, last)
		}
		<-tick.C
	}
}

// checkReports checks that every answered Msg_Id came back as a report
// DELIVER (DELIVRD, for its recipient) and that no report was delivered
// twice after its DELIVER_RESP had reached a replica that stayed up. It
// returns the reports for Msg_Ids the customer never got an answer for
// (SUBMITs stored just before their link dropped), the reports delivered
// again after an answer lost with a killed replica, and the resends the
// customer did not answer.
func checkReports(t *testing.T, c *customer, s *stream, killed map[string]bool) (orphans, lostWithKill, resends int) {
	t.Helper()
	all := c.allReports()
	s.mu.Lock()
	defer s.mu.Unlock()
	missing := 0
	for id, x := range s.byMsgID {
		rs := all[id]
		if len(rs) == 0 {
			if missing++; missing <= 5 {
				t.Errorf("no report for Msg_Id %s (segment %d to %s)", id, x.id, x.dest)
			}
			continue
		}
		for _, r := range rs {
			if r.Stat != "DELIVRD" || r.DestTerminalID != x.dest {
				t.Errorf("report for %s: Stat %q Dest_terminal_Id %q, want DELIVRD %s", id, r.Stat, r.DestTerminalID, x.dest)
				break
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d answered SUBMITs got no report", missing, len(s.byMsgID))
	}
	for id := range all {
		if _, ok := s.byMsgID[id]; !ok {
			orphans++
		}
	}
	defects, lostWithKill, resends := c.led.verdict(killed)
	for i, d := range defects {
		if i == 5 {
			break
		}
		t.Errorf("report %s delivered again on %s after its DELIVER_RESP reached %s (link %s)", d.id, d.link, d.replica, d.answerAt.link)
	}
	if len(defects) > 0 {
		t.Errorf("%d reports delivered twice although answered", len(defects))
	}
	return orphans, lostWithKill, resends
}

// waitReports waits until every answered Msg_Id has a report.
func waitReports(t *testing.T, c *customer, s *stream, timeout time.Duration) {
	t.Helper()
	ids := s.msgIDs()
	testenv.WaitFor(t, timeout, fmt.Sprintf("a report for each of %d Msg_Ids", len(ids)), func() bool {
		return c.reportCount(ids) == len(ids)
	})
}
