package ismgsim

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

func TestActiveTestAnswered(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		c := loginRaw(t, s, v)
		c.send(77, &cmpp.ActiveTest{})
		frame := c.recvFrame()
		h, p, err := cmpp.Decode(frame, v)
		if err != nil || h.CommandID != cmpp.CmdActiveTestResp || h.SequenceID != 77 || len(frame) != 13 {
			t.Fatalf("%s: got %s seq %d len %d (%v), want a 13-byte ACTIVE_TEST_RESP seq 77", v, h.CommandID, h.SequenceID, len(frame), err)
		}
		_ = p
	}
}

func TestOwnActiveTestThenCloseAfterNUnanswered(t *testing.T) {
	s := newTestServer(t, Config{ActiveTestInterval: 100 * time.Millisecond, ResponseTimeout: 100 * time.Millisecond, Transmissions: 2})
	c := loginRaw(t, s, cmpp.V30)
	var seqs []uint32
	for range 2 {
		h, _ := c.recv()
		if h.CommandID != cmpp.CmdActiveTest {
			t.Fatalf("got %s, want ACTIVE_TEST", h.CommandID)
		}
		seqs = append(seqs, h.SequenceID)
	}
	if seqs[0] == seqs[1] {
		t.Fatalf("each ACTIVE_TEST is a new request, got Sequence_Ids %v", seqs)
	}
	c.expectClosed()
	waitFor(t, "link gone", func() bool { return s.Links(testSPID) == 0 })
}

func TestAnsweredActiveTestKeepsLink(t *testing.T) {
	s := newTestServer(t, Config{ActiveTestInterval: 50 * time.Millisecond, ResponseTimeout: 50 * time.Millisecond, Transmissions: 1})
	c := loginRaw(t, s, cmpp.V20)
	for range 4 { // 4 probes answered: with N=1 an unanswered one would have closed the link
		h, _ := c.recv()
		if h.CommandID != cmpp.CmdActiveTest {
			t.Fatalf("got %s, want ACTIVE_TEST", h.CommandID)
		}
		c.send(h.SequenceID, &cmpp.ActiveTestResp{})
	}
	if s.Links(testSPID) != 1 {
		t.Fatal("link closed although every ACTIVE_TEST was answered")
	}
}

// An SP that answers our ACTIVE_TEST with an ACTIVE_TEST (the yedamao mock
// server quirk) gets its probe answered, but ours stays unanswered.
func TestActiveTestInPlaceOfResponse(t *testing.T) {
	s := newTestServer(t, Config{ActiveTestInterval: 80 * time.Millisecond, ResponseTimeout: 80 * time.Millisecond, Transmissions: 2})
	c := loginRaw(t, s, cmpp.V20)
	answered := 0
	for {
		h, _, err := c.recvErr(ioTimeout)
		if err != nil {
			break // closed after N unanswered
		}
		switch h.CommandID {
		case cmpp.CmdActiveTest:
			c.send(h.SequenceID, &cmpp.ActiveTest{})
		case cmpp.CmdActiveTestResp:
			answered++
		}
	}
	if answered == 0 {
		t.Fatal("the SP's ACTIVE_TEST was not answered")
	}
}

func TestTerminate(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		c := loginRaw(t, s, v)
		c.send(42, &cmpp.Terminate{})
		frame := c.recvFrame()
		h, _, err := cmpp.Decode(frame, v)
		if err != nil || h.CommandID != cmpp.CmdTerminateResp || h.SequenceID != 42 || len(frame) != 12 {
			t.Fatalf("got %s seq %d (%v), want TERMINATE_RESP seq 42", h.CommandID, h.SequenceID, err)
		}
		c.expectClosed()
	}
	waitFor(t, "links gone", func() bool { return s.Links(testSPID) == 0 })
}
