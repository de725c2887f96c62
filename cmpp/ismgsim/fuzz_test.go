package ismgsim

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// FuzzServerFrame feeds arbitrary bytes to a logged-in link. The simulator
// must not panic, and the link (with its two goroutines) must go away once
// the client hangs up; Close at the end waits for every goroutine, so a
// leak would hang the test.
func FuzzServerFrame(f *testing.F) {
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		for _, p := range []cmpp.PDU{testSubmit(), reportSubmit("13800138000", "13900139000"), &cmpp.ActiveTest{},
			&cmpp.Terminate{}, &cmpp.Query{Time: "20261122"}, &cmpp.Cancel{MsgID: 1},
			&cmpp.DeliverResp{MsgID: 1}, &cmpp.ActiveTestResp{}} {
			b, err := cmpp.Append(nil, v, 1, p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(v), b)
		}
	}
	f.Add(byte(cmpp.V20), []byte{0x80, 0, 0, 2, 0, 0, 0, 0x0f})
	f.Add(byte(cmpp.V30), header(5000, cmpp.CmdSubmit, 1))
	f.Add(byte(cmpp.V30), header(11, cmpp.CmdSubmit, 1))

	s, err := NewServer(Config{
		Accounts:    []Account{{SPID: testSPID, Secret: testSecret}},
		ReportDelay: time.Millisecond, ResponseTimeout: 5 * time.Second, MaxReceived: 100,
	})
	if err != nil {
		f.Fatal(err)
	}
	defer func() {
		done := make(chan error, 1)
		go func() { done <- s.Close() }()
		select {
		case err := <-done:
			if err != nil {
				f.Error(err)
			}
		case <-time.After(10 * time.Second):
			f.Fatal("Close did not return: a link goroutine leaked")
		}
	}()
	f.Fuzz(func(t *testing.T, version byte, data []byte) { fuzzOnce(t, s, version, data) })
}

// fuzzOnce logs in, writes data, half-closes the connection and reads
// until the simulator hangs up, then waits until the link is gone.
func fuzzOnce(t *testing.T, s *Server, version byte, data []byte) {
	v := cmpp.V20
	if version&1 == 1 {
		v = cmpp.V30
	}
	c := dialRaw(t, s.Addr(), v)
	c.login()
	_ = c.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	_, _ = c.conn.Write(data)
	_ = c.conn.(*net.TCPConn).CloseWrite() // EOF after data: the link must end
	for {
		if _, _, err := c.recvErr(ioTimeout); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the simulator kept the link open after EOF")
			}
			break
		}
	}
	_ = c.conn.Close()
	waitFor(t, "link gone", func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return len(s.links) == 0
	})
}
