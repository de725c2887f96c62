package ismgsim

import (
	"bufio"
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// countingConn counts the Write calls on a connection (one system call each).
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// serverWithWriteCount starts a simulator whose connections count their
// writes in the returned counter.
func serverWithWriteCount(t *testing.T, cfg Config) (*Server, *atomic.Int64) {
	t.Helper()
	writes := new(atomic.Int64)
	cfg.wrapConn = func(c net.Conn) net.Conn { return countingConn{Conn: c, writes: writes} }
	return newTestServer(t, cfg), writes
}

// windowedSubmits sends n SUBMITs keeping window of them in flight, the
// way a client link does (it writes what it has whenever the window is
// full), and checks every SUBMIT_RESP.
func windowedSubmits(t *testing.T, c *rawClient, n, window int) {
	t.Helper()
	frame, err := cmpp.Append(nil, c.v, 0, testSubmit())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	slots := make(chan struct{}, window)
	readErr := make(chan error, 1)
	go func() {
		for range n {
			f, err := c.fr.ReadFrame()
			if err != nil {
				readErr <- err
				return
			}
			if cmpp.CommandID(binary.BigEndian.Uint32(f[4:])) != cmpp.CmdSubmitResp {
				readErr <- errUnexpected
				return
			}
			<-slots
		}
		readErr <- nil
	}()
	w := bufio.NewWriterSize(c.conn, 64<<10)
	for range n {
		select {
		case slots <- struct{}{}:
		default:
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			slots <- struct{}{}
		}
		binary.BigEndian.PutUint32(frame[8:], c.nextSeq())
		_, _ = w.Write(frame)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
}

// The responses to SUBMITs that arrive together leave together: at a
// pipelined window of 16 the simulator writes far fewer times than it
// answers (it wrote about once per response before).
func TestResponsesShareWrites(t *testing.T) {
	s, writes := serverWithWriteCount(t, Config{MaxReceived: -1})
	c := loginRaw(t, s, cmpp.V30)
	const n, window = 10_000, 16
	before := writes.Load()
	windowedSubmits(t, c, n, window)
	got := writes.Load() - before
	t.Logf("%d SUBMIT_RESPs in %d writes (%.3f writes per response)", n, got, float64(got)/n)
	if got >= n/4 {
		t.Fatalf("%d writes for %d responses, want < %d", got, n, n/4)
	}
}

// recordingConn reports the size of every Write on a channel.
type recordingConn struct {
	net.Conn
	sizes chan int
}

func (c recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	select {
	case c.sizes <- n:
	default:
	}
	return n, err
}

// While the read loop still has whole requests buffered, nothing is
// written: 16 SUBMITs that arrive in one segment are answered in one
// write, even when the read loop dawdles after the first one (the writer
// used to write the first response as soon as it was queued).
func TestBufferedRequestsAnsweredInOneWrite(t *testing.T) {
	const window = 16
	sizes := make(chan int, 64)
	var handled atomic.Int64
	var holdFirst atomic.Bool
	s := newTestServer(t, Config{
		MaxReceived: -1,
		wrapConn:    func(c net.Conn) net.Conn { return recordingConn{Conn: c, sizes: sizes} },
		afterHandle: func() {
			if holdFirst.Load() && handled.Add(1) == 1 {
				// Give a writer that does not wait for the batch every
				// chance to write the first response alone.
				select {
				case n := <-sizes:
					sizes <- n
				case <-time.After(200 * time.Millisecond):
				}
			}
		},
	})
	c := loginRaw(t, s, cmpp.V30)
	select {
	case <-sizes: // the CONNECT_RESP
	case <-time.After(ioTimeout):
		t.Fatal("CONNECT_RESP write not seen")
	}
	holdFirst.Store(true)
	var batch []byte
	for range window {
		var err error
		if batch, err = cmpp.Append(batch, c.v, c.nextSeq(), testSubmit()); err != nil {
			t.Fatal(err)
		}
	}
	c.sendRaw(batch)
	for range window {
		if _, p := c.recv(); p.CommandID() != cmpp.CmdSubmitResp {
			t.Fatalf("got %s, want SUBMIT_RESP", p.CommandID())
		}
	}
	respLen := cmpp.HeaderLen + (&cmpp.SubmitResp{}).BodyLen(cmpp.V30)
	if n := <-sizes; n != window*respLen {
		t.Fatalf("first write %d bytes, want all %d responses (%d bytes) in one write", n, window, window*respLen)
	}
}

// holdDelay is a FlushDelay far longer than any wait of these tests: a
// frame that arrives at all was not held for it.
const holdDelay = time.Hour

// FlushDelay never holds a response: a client waiting on its window gets
// its SUBMIT_RESPs at once (the writer used to hold them FlushDelay too,
// capping a link at a window per FlushDelay).
func TestFlushDelayNeverHoldsResponses(t *testing.T) {
	s := newTestServer(t, Config{FlushDelay: holdDelay, MaxReceived: -1})
	c := loginRaw(t, s, cmpp.V30)
	for range 3 {
		resp, _ := c.submit(testSubmit())
		if resp.Result != 0 {
			t.Fatalf("Result %d", resp.Result)
		}
	}
}

// DELIVERs held by FlushDelay leave with the next write of responses, and
// at once when they fill the DELIVER window (no more can join them before
// the SP answers).
func TestFlushDelayHeldDeliversLeave(t *testing.T) {
	s := newTestServer(t, Config{FlushDelay: holdDelay, ReportDelay: time.Millisecond, MaxReceived: -1})
	c := loginRaw(t, s, cmpp.V30)
	sub := testSubmit()
	sub.RegisteredDelivery = 1

	// Three reports fall due and are held; the next response takes them
	// along. (They may also leave with the first three responses, when
	// the read loop is slower than ReportDelay on a busy machine.)
	var batch []byte
	for range 3 {
		var err error
		if batch, err = cmpp.Append(batch, c.v, c.nextSeq(), sub); err != nil {
			t.Fatal(err)
		}
	}
	c.sendRaw(batch)
	resps, delivers := 0, 0
	recv := func(wantResps, wantDelivers int) {
		t.Helper()
		for resps < wantResps || delivers < wantDelivers {
			_, p := c.recv()
			switch p.CommandID() {
			case cmpp.CmdSubmitResp:
				resps++
			case cmpp.CmdDeliver:
				delivers++ // left unanswered: it stays in the window
			default:
				t.Fatalf("got %s", p.CommandID())
			}
		}
	}
	recv(3, 0)
	waitFor(t, "3 reports queued", func() bool { return s.Counts()[testSPID].ReportsSent == 3 })
	c.send(c.nextSeq(), testSubmit())
	recv(4, 3)

	// Thirteen more fill the window of 16: written without waiting.
	batch = batch[:0]
	for range DeliverWindow - 3 {
		var err error
		if batch, err = cmpp.Append(batch, c.v, c.nextSeq(), sub); err != nil {
			t.Fatal(err)
		}
	}
	c.sendRaw(batch)
	recv(4+DeliverWindow-3, DeliverWindow)
}
