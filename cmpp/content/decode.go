package content

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Decode returns the text of a Msg_Content payload (UDH already removed)
// in format msgFmt. It never fails on malformed text; bad sequences become
// U+FFFD:
//
//   - 0 (ASCII): bytes as they are when they form valid UTF-8 (ASCII
//     always does), otherwise every byte is read as Latin-1 so that no byte
//     is lost or turned into invalid UTF-8;
//   - 8 (UCS2) and 9: UTF-16BE; an unpaired surrogate or an odd trailing
//     byte decodes to U+FFFD;
//   - 15 (GBK): GB18030, a superset of GBK;
//   - 3 and 4 (SIM write, binary): ErrBinary, the caller keeps the bytes;
//   - any other value is read as a GSM TP-DCS (PROTOCOL.md §8.1): bits 3–2
//     00 → ASCII, 10 → UCS2, 01 and 11 → ErrBinary.
func Decode(msgFmt uint8, data []byte) (string, error) {
	switch msgFmt {
	case FmtASCII:
		return decodeASCII(data), nil
	case FmtUCS2, FmtUCS2NoSign:
		return decodeUCS2(data), nil
	case FmtGBK:
		return decodeGB18030(data)
	case FmtSIMWrite, FmtBinary:
		return "", fmt.Errorf("%w: Msg_Fmt %d", ErrBinary, msgFmt)
	}
	switch msgFmt >> 2 & 0x3 {
	case 0:
		return decodeASCII(data), nil
	case 2:
		return decodeUCS2(data), nil
	}
	return "", fmt.Errorf("%w: Msg_Fmt %d (DCS 8-bit data)", ErrBinary, msgFmt)
}

// Join concatenates the payloads of the segments of one message, in index
// order and UDHs removed, and decodes the result with Decode. Joining bytes
// before decoding is what makes segments cut inside a surrogate pair or a
// GBK character decode correctly.
func Join(msgFmt uint8, parts [][]byte) (string, error) {
	return Decode(msgFmt, concat(parts))
}

// concat joins byte slices into a new slice.
func concat(parts [][]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func decodeASCII(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	var sb strings.Builder
	sb.Grow(2 * len(data))
	for _, c := range data {
		sb.WriteRune(rune(c)) // Latin-1: byte value = code point
	}
	return sb.String()
}

func decodeUCS2(data []byte) string {
	var sb strings.Builder
	sb.Grow(len(data) + len(data)/2)
	for i := 0; i+1 < len(data); i += 2 {
		r := rune(data[i])<<8 | rune(data[i+1])
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00 && i+3 < len(data):
			lo := rune(data[i+2])<<8 | rune(data[i+3])
			if p := utf16.DecodeRune(r, lo); p != utf8.RuneError {
				sb.WriteRune(p)
				i += 2
				continue
			}
			sb.WriteRune(utf8.RuneError)
		case utf16.IsSurrogate(r):
			sb.WriteRune(utf8.RuneError)
		default:
			sb.WriteRune(r)
		}
	}
	if len(data)%2 == 1 {
		sb.WriteRune(utf8.RuneError)
	}
	return sb.String()
}

func decodeGB18030(data []byte) (string, error) {
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		// The decoder replaces bad sequences itself; an error here would be
		// internal to x/text.
		return "", fmt.Errorf("content: GB18030 decode: %w", err)
	}
	return string(b), nil
}
