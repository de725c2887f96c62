package ismgsim

import (
	"bufio"
	"encoding/binary"
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
