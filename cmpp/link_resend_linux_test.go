//go:build linux

package cmpp_test

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// smallBuffers sets SO_SNDBUF and SO_RCVBUF to the kernel's minimum on a
// socket before it connects, so a peer that stops reading fills them after
// a few kilobytes.
func smallBuffers(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		for _, opt := range []int{syscall.SO_SNDBUF, syscall.SO_RCVBUF} {
			if e := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, 1024); e != nil {
				serr = e
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// A retransmission blocked on a full socket buffer must not hold up the
// read loop: the link resends a whole window of SUBMITs to a peer that has
// stopped reading, so the resend write blocks until the write deadline
// (ResponseTimeout); meanwhile the peer answers one SUBMIT, and that
// answer must reach its caller at once, not when the deadline frees the
// link's lock.
func TestLinkRawResendBlockedDoesNotStallCompletions(t *testing.T) {
	const (
		window   = 256
		deadline = 3 * time.Second // ResponseTimeout: resend delay and write deadline
	)
	lc := net.ListenConfig{Control: smallBuffers}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, Listener: ln, LinkSetup: func(c *cmpp.LinkConfig) {
		c.Window = window
		c.ResponseTimeout = deadline
		c.Transmissions = 3
		c.IdleInterval = time.Hour
		c.Dialer = &net.Dialer{Control: smallBuffers}
	}})
	if err != nil {
		t.Fatal(err)
	}
	// A window of 140-byte SUBMITs: about 85 KiB per round, far more than
	// the writer's 16 KiB buffer plus the shrunk socket buffers.
	content := make([]byte, 140)
	for i := range content {
		content[i] = 'a' + byte(i%26)
	}
	chans := make(map[string]<-chan submitOutcome, window)
	for i := range window {
		s := testSubmit(fmt.Sprintf("1380000%04d", i))
		s.MsgFmt, s.MsgContent = 0, content
		chans[s.DestTerminalIDs[0]] = asyncSubmit(context.Background(), l, s)
	}
	// The peer reads every first transmission, then stops reading.
	var firstSeq uint32
	var firstDest string
	for i := range window {
		h, pdu := p.readCmd(cmpp.CmdSubmit)
		if i == 0 {
			firstSeq, firstDest = h.SequenceID, pdu.(*cmpp.Submit).DestTerminalIDs[0]
		}
	}
	eventually(t, "retransmission begun", func() bool { return l.Stats().Retransmits > 0 })

	// The resend is now blocked on the full socket buffers (for up to
	// ResponseTimeout). The answer to one SUBMIT must still complete it.
	answered := time.Now()
	p.write(firstSeq, &cmpp.SubmitResp{MsgID: 77})
	select {
	case o := <-chans[firstDest]:
		if o.err != nil || o.resp.MsgID != 77 {
			t.Fatalf("Submit = %+v, %v", o.resp, o.err)
		}
		if took := time.Since(answered); took > deadline/2 {
			t.Fatalf("completion took %v: the read loop waited for the blocked resend", took)
		}
	case <-l.Done():
		t.Fatalf("link went down (%v) before the answer was delivered", l.Err())
	case <-time.After(testWait):
		t.Fatal("answer never delivered")
	}
	if l.State() != cmpp.StateReady {
		t.Fatalf("State() = %v while the resend is still blocked, want ready", l.State())
	}
}
