package cmpp

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// goldenFrames returns the §12 frames, seeds for the fuzz targets.
func goldenFrames(t testing.TB) [][]byte {
	out := [][]byte{
		unhex(t, golden121Connect), unhex(t, golden121Resp20), unhex(t, golden121Resp30),
		unhex(t, golden124Deliver), unhex(t, golden125Submit),
		unhex(t, "00 00 00 18 80 00 00 04 00 00 00 02 bb 28 a3 00 03 e9 00 01 00 00 00 00"),
		unhex(t, "00 00 00 15 80 00 00 04 00 00 00 02 bb 28 a3 00 03 e9 00 01 00"),
		unhex(t, "00 00 00 15 80 00 00 05 00 00 00 07 bb 28 a3 c0 03 e9 00 02 00"),
		unhex(t, "0000000c800000080000000a"),
	}
	for _, v := range []Version{V20, V30} {
		for _, p := range samplePDUs() {
			b, err := Append(nil, v, 1, p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// fuzzEncodeVersion is the version to re-encode a decoded PDU with: the one
// whose layout has the frame's length (responses decode by length), else
// the decode version (a DELIVER with a short tail, a 12-byte
// ACTIVE_TEST_RESP).
func fuzzEncodeVersion(p PDU, v Version, frameLen int) Version {
	for _, ev := range []Version{v, V20, V30} {
		if HeaderLen+p.BodyLen(ev) == frameLen {
			return ev
		}
	}
	return v
}

// FuzzDecode: Decode never panics, and whatever it accepts survives an
// encode → decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	for _, b := range goldenFrames(f) {
		f.Add(b)
	}
	for _, v := range loadVectors(f) {
		f.Add(v.frame)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		for _, v := range []Version{V20, V30} {
			h, p, err := Decode(frame, v)
			if err != nil {
				if p != nil {
					t.Fatalf("PDU returned with error %v", err)
				}
				continue
			}
			if int(h.TotalLength) != len(frame) || h.CommandID != p.CommandID() {
				t.Fatalf("header %+v for %d bytes, PDU %s", h, len(frame), p.CommandID())
			}
			ev := fuzzEncodeVersion(p, v, len(frame))
			out, err := Append(nil, ev, h.SequenceID, p)
			if err != nil {
				t.Fatalf("%s decoded in %s does not re-encode in %s: %v", p.CommandID(), v, ev, err)
			}
			h2, p2, err := Decode(out, ev)
			if err != nil {
				t.Fatalf("re-encoded %s does not decode: %v\n%x", p.CommandID(), err, out)
			}
			if h2.SequenceID != h.SequenceID || !reflect.DeepEqual(p, p2) {
				t.Fatalf("round trip changed the PDU:\n%+v\n%+v", p, p2)
			}
			if d, ok := p.(*Deliver); ok && d.RegisteredDelivery == 1 {
				_, _ = d.Report() // must not panic
			}
		}
	})
}

// FuzzFrameReader: any byte stream yields frames with a consistent
// Total_Length within the cap, or a typed error; never a panic.
func FuzzFrameReader(f *testing.F) {
	var all []byte
	for _, b := range goldenFrames(f) {
		f.Add(b, uint16(0))
		all = append(all, b...)
	}
	f.Add(all, uint16(300))
	f.Add([]byte{0x80, 0, 0, 2, 0, 0, 0, 0x0f}, uint16(0)) // hujm MALFORMED
	f.Fuzz(func(t *testing.T, stream []byte, maxLen uint16) {
		limit := int(maxLen)
		if limit <= 0 {
			limit = MaxFrameLen
		}
		fr := NewFrameReader(bytes.NewReader(stream), int(maxLen))
		consumed := 0
		for {
			frame, err := fr.ReadFrame()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrFrameTooShort) && !errors.Is(err, ErrFrameTooLong) {
					t.Fatalf("untyped error %v", err)
				}
				if errors.Is(err, io.EOF) && consumed != len(stream) {
					t.Fatalf("io.EOF after %d of %d bytes", consumed, len(stream))
				}
				return
			}
			if len(frame) < HeaderLen || len(frame) > limit {
				t.Fatalf("frame of %d bytes, cap %d", len(frame), limit)
			}
			h, err := DecodeHeader(frame)
			if err != nil || int(h.TotalLength) != len(frame) {
				t.Fatalf("header %+v, %v for %d bytes", h, err, len(frame))
			}
			if !bytes.Equal(frame, stream[consumed:consumed+len(frame)]) {
				t.Fatal("frame bytes differ from the stream")
			}
			consumed += len(frame)
			_, _, _ = Decode(frame, V30) // must not panic
		}
	})
}

// FuzzReport: Report never panics on any Msg_Content, and an accepted
// report re-encodes to the same bytes in its own layout.
func FuzzReport(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.name != "DELIVER" {
			continue
		}
		if _, p, err := Decode(v.frame, v.version); err == nil {
			f.Add(p.(*Deliver).MsgContent)
		}
	}
	f.Add(make([]byte, 60))
	f.Add(make([]byte, 71))
	f.Fuzz(func(t *testing.T, content []byte) {
		d := &Deliver{RegisteredDelivery: 1, MsgContent: content}
		r, err := d.Report()
		if err != nil {
			if r != nil {
				t.Fatal("report returned with error")
			}
			return
		}
		out, err := r.Append(nil, len(content) == ReportLenShort)
		if err != nil || len(out) != len(content) {
			t.Fatalf("re-encode: %d bytes, %v", len(out), err)
		}
		r2, err := (&Deliver{RegisteredDelivery: 1, MsgContent: out}).Report()
		if err != nil || *r2 != *r {
			t.Fatalf("round trip: %+v, %+v, %v", r, r2, err)
		}
	})
}

// FuzzParseMsgID: ParseMsgID is strict (accepts only what String
// produces) and String is lossless for any uint64.
func FuzzParseMsgID(f *testing.F) {
	f.Add("1122101012000100100001", uint64(0xBB28A30003E90001))
	f.Add("1109172112000000100000", uint64(0xb4c5530000010000))
	f.Add("13486208304621879297", uint64(0))
	f.Add("-4960535769087672319", ^uint64(0))
	f.Add("1531316363419430365535", uint64(1)<<63)
	f.Fuzz(func(t *testing.T, s string, u uint64) {
		if m, err := ParseMsgID(s); err == nil {
			if m.String() != s {
				t.Fatalf("ParseMsgID(%q).String() = %q", s, m.String())
			}
		} else if !errors.Is(err, ErrBadMsgID) {
			t.Fatalf("untyped error %v", err)
		}
		m := MsgID(u)
		back, err := ParseMsgID(m.String())
		if err != nil || back != m {
			t.Fatalf("%#x → %q → %#x, %v", u, m.String(), uint64(back), err)
		}
		if NewMsgID(m.Fields()) != m {
			t.Fatalf("%#x: Fields round trip", u)
		}
	})
}
