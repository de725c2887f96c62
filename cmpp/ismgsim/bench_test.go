package ismgsim

import (
	"bufio"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// BenchmarkSimulatorSubmit drives one 3.0 link with a raw codec client
// keeping a pipelined window of 16 SUBMITs in flight (no status reports),
// and reports the SUBMIT rate the simulator sustains.
func BenchmarkSimulatorSubmit(b *testing.B) {
	s := newTestServer(b, Config{})
	c := loginRaw(b, s, cmpp.V30)
	_ = c.conn.SetDeadline(time.Time{})
	frame, err := cmpp.Append(nil, cmpp.V30, 0, testSubmit())
	if err != nil {
		b.Fatal(err)
	}
	const window = 16
	slots := make(chan struct{}, window)
	readErr := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		for range b.N {
			f, err := c.fr.ReadFrame()
			if err != nil {
				readErr <- err
				return
			}
			if binary.BigEndian.Uint32(f[4:]) != uint32(cmpp.CmdSubmitResp) || binary.BigEndian.Uint32(f[20:]) != 0 {
				readErr <- errUnexpected
				return
			}
			<-slots
		}
		readErr <- nil
	}()
	w := bufio.NewWriterSize(c.conn, 64<<10)
	for i := range b.N {
		select {
		case slots <- struct{}{}:
		default:
			if err := w.Flush(); err != nil { // window full: send what we have
				b.Fatal(err)
			}
			slots <- struct{}{}
		}
		binary.BigEndian.PutUint32(frame[8:], uint32(i+1))
		_, _ = w.Write(frame)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := <-readErr; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}

var errUnexpected = errorString("unexpected response")

type errorString string

func (e errorString) Error() string { return string(e) }

// BenchmarkSimulatorSubmitWithReports is BenchmarkSimulatorSubmit with a
// status report requested for every SUBMIT; the client acknowledges each
// report DELIVER. It reports both rates.
func BenchmarkSimulatorSubmitWithReports(b *testing.B) {
	s := newTestServer(b, Config{ReportDelay: 10 * time.Millisecond})
	c := loginRaw(b, s, cmpp.V30)
	_ = c.conn.SetDeadline(time.Time{})
	sub := testSubmit()
	sub.RegisteredDelivery = 1
	frame, err := cmpp.Append(nil, cmpp.V30, 0, sub)
	if err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReaderSize(c.conn, 64<<10)
	fr := cmpp.NewFrameReader(br, 0) // reads through br, so br.Buffered() tells if more is ready
	const window = 16
	slots := make(chan struct{}, window)
	var wmu sync.Mutex
	w := bufio.NewWriterSize(c.conn, 64<<10)
	readErr := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		var ack []byte
		unflushed := false
		for resps, reports := 0, 0; resps < b.N || reports < b.N; {
			f, err := fr.ReadFrame()
			if err != nil {
				readErr <- err
				return
			}
			switch cmpp.CommandID(binary.BigEndian.Uint32(f[4:])) {
			case cmpp.CmdSubmitResp:
				resps++
				<-slots
			case cmpp.CmdDeliver:
				reports++
				// DELIVER_RESP: header + the DELIVER's Msg_Id + Result 0.
				ack = append(ack[:0], 0, 0, 0, 24, 0x80, 0, 0, 5)
				ack = append(ack, f[8:12]...)
				ack = append(ack, f[12:20]...)
				ack = append(ack, 0, 0, 0, 0)
				wmu.Lock()
				_, _ = w.Write(ack)
				wmu.Unlock()
				unflushed = true
			}
			if unflushed && br.Buffered() == 0 { // nothing more to read now: send the acks
				wmu.Lock()
				_ = w.Flush()
				wmu.Unlock()
				unflushed = false
			}
		}
		readErr <- nil
	}()
	for i := range b.N {
		select {
		case slots <- struct{}{}:
		default:
			wmu.Lock()
			_ = w.Flush()
			wmu.Unlock()
			slots <- struct{}{}
		}
		binary.BigEndian.PutUint32(frame[8:], uint32(i+1))
		wmu.Lock()
		_, _ = w.Write(frame)
		wmu.Unlock()
	}
	wmu.Lock()
	_ = w.Flush()
	wmu.Unlock()
	if err := <-readErr; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s") // each with its report delivered and acknowledged
	b.ReportMetric(float64(s.sched.wakeups.Load())/float64(b.N), "wakeups/report")
}
