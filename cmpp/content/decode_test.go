package content

import (
	"errors"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		msgFmt uint8
		data   []byte
		want   string
	}{
		{"ASCII", FmtASCII, []byte("Hello CMPP interop 123"), "Hello CMPP interop 123"},
		{"ASCII empty", FmtASCII, nil, ""},
		{"ASCII field with UTF-8 kept", FmtASCII, []byte("caf\xc3\xa9"), "café"},
		{"ASCII field with Latin-1 byte", FmtASCII, []byte{'1', 0xa3, 0xff}, "1£ÿ"},
		{"UCS2", FmtUCS2, []byte{0x4f, 0x60, 0x59, 0x7d}, "你好"},
		{"UCS2 surrogate pair", FmtUCS2, []byte{0xd8, 0x3d, 0xde, 0x00}, "😀"},
		{"UCS2 lone high surrogate", FmtUCS2, []byte{0x00, 0x41, 0xd8, 0x3d}, "A\uFFFD"},
		{"UCS2 lone low surrogate", FmtUCS2, []byte{0xde, 0x00, 0x00, 0x41}, "\uFFFDA"},
		{"UCS2 high then BMP", FmtUCS2, []byte{0xd8, 0x3d, 0x00, 0x41}, "\uFFFDA"},
		{"UCS2 two highs", FmtUCS2, []byte{0xd8, 0x3d, 0xd8, 0x3d, 0xde, 0x00}, "\uFFFD😀"},
		{"UCS2 odd length", FmtUCS2, []byte{0x00, 0x41, 0x00}, "A\uFFFD"},
		{"UCS2 BOM-less only, FEFF kept as a character", FmtUCS2, []byte{0xfe, 0xff, 0x00, 0x41}, "\uFEFFA"},
		{"Msg_Fmt 9 is UCS2", FmtUCS2NoSign, []byte{0x4f, 0x60}, "你"},
		{"GBK", FmtGBK, []byte{0xc4, 0xe3, 0xba, 0xc3}, "你好"},
		{"GBK ASCII-compatible (node sends ASCII as 15)", FmtGBK, []byte("Hello"), "Hello"},
		{"GBK euro 0x80", FmtGBK, []byte{0x80}, "€"},
		{"GB18030 four-byte", FmtGBK, []byte{0x95, 0x32, 0x82, 0x36}, "\U00020000"},
		{"GBK cut lead byte", FmtGBK, []byte{0x41, 0xb2}, "A\uFFFD"},
		{"DCS 0x00-group 7-bit (0x01)", 0x01, []byte("abc"), "abc"},
		{"DCS UCS2 (0x18)", 0x18, []byte{0x00, 0x41}, "A"},
		{"DCS class UCS2 (0x0A)", 0x0A, []byte{0x00, 0x42}, "B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.msgFmt, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Decode(%d, % x) = %q, want %q", tc.msgFmt, tc.data, got, tc.want)
			}
		})
	}
	for _, f := range []uint8{FmtBinary, FmtSIMWrite, 0xF4, 0x04 | 0x10, 0x0C} {
		if _, err := Decode(f, []byte{1, 2}); !errors.Is(err, ErrBinary) {
			t.Errorf("Decode(%d) err = %v, want ErrBinary", f, err)
		}
	}
}

func TestJoinCutCharacters(t *testing.T) {
	got, err := Join(FmtUCS2, [][]byte{{0x4e, 0x00, 0xd8, 0x3d}, {0xde, 0x00}})
	if err != nil || got != "一😀" {
		t.Fatalf("UCS2 join = %q, %v", got, err)
	}
	got, err = Join(FmtGBK, [][]byte{{0x41, 0xd6}, {0xd0}})
	if err != nil || got != "A中" {
		t.Fatalf("GBK join = %q, %v", got, err)
	}
}

// TestGBKRoundTripAllRunes checks the pairing the package relies on: every
// character the GBK encoder accepts comes back unchanged from the GB18030
// decoder, in one byte below 0x80 (or 0x80 for '€') or two bytes with a
// 0x81..0xFE lead.
func TestGBKRoundTripAllRunes(t *testing.T) {
	enc, n := simplifiedchinese.GBK.NewEncoder(), 0
	for r := rune(0); r <= 0xFFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := string(r)
		b, err := enc.String(s)
		if err != nil {
			continue
		}
		n++
		switch {
		case len(b) == 1 && (b[0] < 0x80 || (b[0] == 0x80 && r == '€')):
		case len(b) == 2 && isGBKLead(b[0]):
		default:
			t.Fatalf("%U encodes as % x", r, b)
		}
		if got, _ := Decode(FmtGBK, []byte(b)); got != s {
			t.Fatalf("%U: GBK % x decodes as %q", r, b, got)
		}
	}
	if n < 20000 {
		t.Fatalf("only %d characters encodable", n)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), []byte("hello"))
	f.Add(uint8(8), []byte{0xd8, 0x3d, 0xde, 0x00})
	f.Add(uint8(8), []byte{0xd8, 0x3d})
	f.Add(uint8(9), []byte{0x00})
	f.Add(uint8(15), []byte{0x81, 0x30, 0x81})
	f.Add(uint8(15), []byte{0xb2})
	f.Add(uint8(4), []byte{1})
	f.Add(uint8(0x18), []byte{0x4f, 0x60})
	f.Fuzz(func(t *testing.T, msgFmt uint8, data []byte) {
		s, err := Decode(msgFmt, data)
		if err != nil {
			if !errors.Is(err, ErrBinary) {
				t.Fatalf("Decode(%d): unexpected error %v", msgFmt, err)
			}
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Decode(%d, % x) = invalid UTF-8 %q", msgFmt, data, s)
		}
		if msgFmt == FmtASCII && utf8.Valid(data) && s != string(data) {
			t.Fatalf("ASCII decode changed valid bytes: %q", s)
		}
		if msgFmt == FmtUCS2 {
			// Re-encoding a decode without U+FFFD gives the bytes back.
			if enc := encodeUCS2(s); len(data)%2 == 0 && !containsRune(s, utf8.RuneError) && string(enc) != string(data) {
				t.Fatalf("UCS2 % x -> %q -> % x", data, s, enc)
			}
		}
	})
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
