package cmpp

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestFrameReader(t *testing.T) {
	var stream bytes.Buffer
	var frames [][]byte
	for i, p := range samplePDUs() {
		b, err := Append(nil, V30, uint32(i), p)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, b)
		stream.Write(b)
	}
	// One byte per Read exercises the partial reads.
	fr := NewFrameReader(iotest.OneByteReader(&stream), 0)
	for i, want := range frames {
		got, err := fr.ReadFrame()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %x, %v", i, got, err)
		}
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Fatalf("end of stream: %v, want io.EOF", err)
	}
}

func TestFrameReaderReusesBuffer(t *testing.T) {
	a, _ := Append(nil, V30, 1, &ActiveTest{})
	b, _ := Append(nil, V30, 2, &ActiveTest{})
	fr := NewFrameReader(bytes.NewReader(append(a, b...)), 0)
	f1, _ := fr.ReadFrame()
	f2, _ := fr.ReadFrame()
	if &f1[0] != &f2[0] {
		t.Error("buffer not reused")
	}
	if f1[11] != 2 {
		t.Error("first frame should now hold the second (documented: valid until the next call)")
	}
}

func TestFrameReaderErrors(t *testing.T) {
	cases := []struct {
		name  string
		input []byte
		max   int
		want  error
	}{
		{"Total_Length 0", []byte{0, 0, 0, 0, 0, 0, 0, 8}, 0, ErrFrameTooShort},
		{"Total_Length 11", []byte{0, 0, 0, 11, 0, 0, 0, 8, 0, 0, 0}, 0, ErrFrameTooShort},
		{"Total_Length 4097", []byte{0, 0, 0x10, 0x01}, 0, ErrFrameTooLong},
		{"Total_Length 0xffffffff", []byte{0xff, 0xff, 0xff, 0xff}, 0, ErrFrameTooLong},
		{"over a custom cap", []byte{0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 1, 0}, 12, ErrFrameTooLong},
		{"EOF inside the length", []byte{0, 0}, 0, io.ErrUnexpectedEOF},
		{"EOF inside the frame", []byte{0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0}, 0, io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		// The error comes from the length alone: no body bytes needed.
		fr := NewFrameReader(bytes.NewReader(c.input), c.max)
		if _, err := fr.ReadFrame(); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A 4096-byte frame is accepted at the default cap.
	big := make([]byte, MaxFrameLen)
	big[2], big[3] = 0x10, 0x00
	fr := NewFrameReader(bytes.NewReader(big), 0)
	if f, err := fr.ReadFrame(); err != nil || len(f) != MaxFrameLen {
		t.Errorf("4096-byte frame: %d, %v", len(f), err)
	}
}

// TestFrameReaderChecksBeforeReading: an over-long length is rejected
// without waiting for (or allocating) the body.
func TestFrameReaderChecksBeforeReading(t *testing.T) {
	r := io.MultiReader(bytes.NewReader([]byte{0x7f, 0xff, 0xff, 0xff}), iotest.ErrReader(errors.New("body must not be read")))
	fr := NewFrameReader(r, 0)
	if _, err := fr.ReadFrame(); !errors.Is(err, ErrFrameTooLong) {
		t.Fatalf("%v", err)
	}
	if cap(fr.buf) != 0 {
		t.Errorf("allocated %d bytes for a rejected frame", cap(fr.buf))
	}
}
