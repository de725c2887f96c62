package cmpp

import (
	"bytes"
	"testing"
)

// BenchmarkSubmitAppend encodes a 3.0 single-recipient SUBMIT with
// 140 bytes of content into a reused buffer; it must not allocate.
func BenchmarkSubmitAppend(b *testing.B) {
	s := golden125()
	s.MsgContent = bytes.Repeat([]byte{0x4f, 0x60}, 70)
	buf := make([]byte, 0, 512)
	var err error
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf, err = Append(buf[:0], V30, uint32(i), s)
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(buf) != 335 {
		b.Fatalf("%d bytes", len(buf))
	}
}

// TestSubmitAppendZeroAlloc pins the zero-allocation property the
// benchmark reports (an allocation count, not a timing).
func TestSubmitAppendZeroAlloc(t *testing.T) {
	s := golden125()
	s.MsgContent = bytes.Repeat([]byte{0x4f, 0x60}, 70)
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		buf, err = Append(buf[:0], V30, 1, s)
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Append(SUBMIT) allocates %.1f times", allocs)
	}
}

// BenchmarkDeliverDecode decodes the §12.4 report DELIVER and its report.
func BenchmarkDeliverDecode(b *testing.B) {
	frame := unhex(b, golden124Deliver)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		_, p, err := Decode(frame, V20)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.(*Deliver).Report(); err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader replays data forever, a stand-in for a busy socket.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// BenchmarkFrameRead frames a stream of 3.0 SUBMITs and report DELIVERs.
func BenchmarkFrameRead(b *testing.B) {
	var data []byte
	var err error
	for i := 0; i < 64; i++ {
		if data, err = Append(data, V30, uint32(i), golden125()); err != nil {
			b.Fatal(err)
		}
		data = append(data, unhex(b, golden124Deliver)...)
	}
	fr := NewFrameReader(&loopReader{data: data}, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(data) / 128))
	for b.Loop() {
		if _, err := fr.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}
