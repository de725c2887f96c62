package ismgsim

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

func header(total uint32, cmd cmpp.CommandID, seq uint32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b, total)
	binary.BigEndian.PutUint32(b[4:], uint32(cmd))
	binary.BigEndian.PutUint32(b[8:], seq)
	return b
}

// Every malformed input after login closes that link (and only that one),
// without a panic.
func TestMalformedFrameClosesLink(t *testing.T) {
	s := newTestServer(t, Config{})
	bystander := loginRaw(t, s, cmpp.V30)
	shortSubmit := header(20, cmpp.CmdSubmit, 5)
	shortSubmit = append(shortSubmit, make([]byte, 8)...)
	trailing, _ := cmpp.Append(nil, cmpp.V30, 6, &cmpp.ActiveTest{})
	trailing = append(trailing, 0xAA)
	binary.BigEndian.PutUint32(trailing, uint32(len(trailing)))
	badDest, _ := cmpp.Append(nil, cmpp.V30, 7, testSubmit())
	badDest[140] = 0 // DestUsr_tl 0
	for name, input := range map[string][]byte{
		"hujm MALFORMED TERMINATE_RESP": {0x80, 0, 0, 0x02, 0, 0, 0, 0x0f},
		"Total_Length > 4096":           header(5000, cmpp.CmdSubmit, 1),
		"Total_Length < 12":             header(8, cmpp.CmdSubmit, 1),
		"Total_Length 0":                header(0, cmpp.CmdActiveTest, 1),
		"SUBMIT body too short":         shortSubmit,
		"ACTIVE_TEST with a body":       trailing,
		"DestUsr_tl 0":                  badDest,
		"unknown Command_Id":            header(12, 0x00000099, 1),
		"garbage DELIVER_RESP":          append(header(15, cmpp.CmdDeliverResp, 1), 1, 2, 3),
		"ISMG-only Command_Id (FWD)":    header(12, 0x00000009, 1),
	} {
		t.Run(name, func(t *testing.T) {
			c := loginRaw(t, s, cmpp.V30)
			c.sendRaw(input)
			c.expectClosed()
		})
	}
	waitFor(t, "only the bystander left", func() bool { return s.Links(testSPID) == 1 })
	bystander.nextIsActiveTestResp()
}

// A frame cut short by the peer closing ends the link quietly.
func TestTruncatedFrameThenEOF(t *testing.T) {
	s := newTestServer(t, Config{})
	c := loginRaw(t, s, cmpp.V20)
	c.sendRaw(header(100, cmpp.CmdSubmit, 1)[:10])
	_ = c.conn.Close()
	waitFor(t, "link gone", func() bool { return s.Links(testSPID) == 0 })
}

// A client that does not read makes the read loop stop (blocked in its
// own write of responses, or at the output high-water mark while the
// writer goroutine is blocked) instead of buffering without bound; it
// resumes, in order, when the client reads.
func TestBackpressureWhenClientDoesNotRead(t *testing.T) {
	s := newTestServer(t, Config{outHighWater: 16 << 10})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &rawClient{t: t, conn: conn, fr: cmpp.NewFrameReader(conn, 0), v: cmpp.V30}
	c.login()
	s.mu.RLock()
	for l := range s.links { // a small kernel buffer on the simulator's side
		_ = l.conn.(*net.TCPConn).SetWriteBuffer(4096)
	}
	s.mu.RUnlock()
	var batch []byte
	const n = 40000 // 520 KB of ACTIVE_TEST_RESPs
	for i := range n {
		batch, _ = cmpp.Append(batch, cmpp.V30, uint32(i+1), &cmpp.ActiveTest{})
	}
	done := make(chan error, 1)
	go func() {
		_ = c.conn.SetWriteDeadline(time.Now().Add(2 * ioTimeout))
		_, err := c.conn.Write(batch)
		done <- err
	}()
	waitFor(t, "a blocked write or output at the high-water mark", func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		for l := range s.links {
			l.out.mu.Lock()
			stopped := l.out.writing || len(l.out.buf) >= s.cfg.outHighWater
			l.out.mu.Unlock()
			if stopped {
				return true
			}
		}
		return false
	})
	for i := range n {
		h, _, err := c.recvErr(ioTimeout)
		if err != nil || h.CommandID != cmpp.CmdActiveTestResp || h.SequenceID != uint32(i+1) {
			t.Fatalf("response %d: %s seq %d %v", i, h.CommandID, h.SequenceID, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for l := range s.links {
		l.out.mu.Lock()
		size := len(l.out.buf)
		l.out.mu.Unlock()
		if size > s.cfg.outHighWater+cmpp.MaxFrameLen {
			t.Fatalf("output grew to %d bytes", size)
		}
	}
}
