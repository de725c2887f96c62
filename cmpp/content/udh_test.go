package content

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseUDH(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		want    UDH
		payload []byte
	}{
		{"8-bit", []byte{0x05, 0x00, 0x03, 0x5a, 0x03, 0x01, 'h', 'i'},
			UDH{Len: 6, Concat: true, Reference: 0x5a, Total: 3, Index: 1}, []byte("hi")},
		{"16-bit", []byte{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02, 'x'},
			UDH{Len: 7, Concat: true, Wide: true, Reference: 0x1234, Total: 2, Index: 2}, []byte("x")},
		{"itio 06 00 04: width from IEDL", []byte{0x06, 0x00, 0x04, 0x12, 0x34, 0x02, 0x01},
			UDH{Len: 7, Concat: true, Wide: true, Reference: 0x1234, Total: 2, Index: 1}, []byte{}},
		{"IEI 08 with IEDL 3: width from IEDL", []byte{0x05, 0x08, 0x03, 0x7f, 0x02, 0x01, 'a'},
			UDH{Len: 6, Concat: true, Reference: 0x7f, Total: 2, Index: 1}, []byte("a")},
		{"port element before concat is skipped", []byte{0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x01, 0x02, 0x02, 'z'},
			UDH{Len: 12, Concat: true, Reference: 1, Total: 2, Index: 2}, []byte("z")},
		{"no concat element", []byte{0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 'p'},
			UDH{Len: 7}, []byte("p")},
		{"concat IEI with odd IEDL is skipped", []byte{0x04, 0x00, 0x02, 0x01, 0x02, 'q'},
			UDH{Len: 5}, []byte("q")},
		{"repeated element: last wins", []byte{0x0a, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00, 0x03, 0x09, 0x03, 0x02},
			UDH{Len: 11, Concat: true, Reference: 9, Total: 3, Index: 2}, []byte{}},
		{"empty UDH", []byte{0x00, 'a'}, UDH{Len: 1}, []byte("a")},
		{"index 0 returned as found", []byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x00},
			UDH{Len: 6, Concat: true, Reference: 1, Total: 2, Index: 0}, []byte{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, p, err := ParseUDH(tc.content)
			if err != nil {
				t.Fatal(err)
			}
			if h != tc.want || !bytes.Equal(p, tc.payload) {
				t.Fatalf("got %+v % x, want %+v % x", h, p, tc.want, tc.payload)
			}
		})
	}
}

func TestParseUDHErrors(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		want    error
	}{
		{"empty", nil, ErrUDHMissing},
		{"UDHL beyond content", []byte{0x05, 0x00, 0x03, 0x01}, ErrUDHTruncated},
		{"IEDL beyond UDHL", []byte{0x03, 0x00, 0x03, 0x01, 0x02, 0x01}, ErrUDHTruncated},
		{"lone IEI", []byte{0x01, 0x00}, ErrUDHTruncated},
		{"UDHL 255 on a short PDU", append([]byte{0xff}, make([]byte, 139)...), ErrUDHTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ParseUDH(tc.content); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestHasUDHI(t *testing.T) {
	for v, want := range map[uint8]bool{0: false, 1: true, 0x40: true, 0x41: true, 0x02: false, 0x80: false, 0xff: true} {
		if HasUDHI(v) != want {
			t.Errorf("HasUDHI(0x%02x) = %v, want %v", v, !want, want)
		}
	}
}

func FuzzParseUDH(f *testing.F) {
	f.Add([]byte{0x05, 0x00, 0x03, 0x5a, 0x03, 0x01, 'h'})
	f.Add([]byte{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02})
	f.Add([]byte{0x06, 0x00, 0x04, 0x12, 0x34, 0x02, 0x02})
	f.Add([]byte{0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x01, 0x02, 0x02})
	f.Add([]byte{0x03, 0x00, 0x03, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, content []byte) {
		h, p, err := ParseUDH(content)
		if err != nil {
			return
		}
		if h.Len < 1 || h.Len+len(p) != len(content) || !bytes.Equal(p, content[h.Len:]) {
			t.Fatalf("UDH %+v, payload % x of % x", h, p, content)
		}
		if !h.Concat && (h.Reference != 0 || h.Total != 0 || h.Index != 0 || h.Wide) {
			t.Fatalf("fields set without a concat element: %+v", h)
		}
		if !h.Wide && h.Reference > 0xff {
			t.Fatalf("8-bit reference %d", h.Reference)
		}
		// A well-formed concat UDH re-encodes to the same element.
		if h.Concat && h.Len == 7 && content[1] == IEIConcat16 {
			if got := appendConcatUDH(nil, true, h.Reference, h.Total, h.Index); !bytes.Equal(got, content[:7]) {
				t.Fatalf("re-encoded % x, parsed from % x", got, content[:7])
			}
		}
	})
}
