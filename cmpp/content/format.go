package content

import (
	"fmt"
	"strings"
)

// Msg_Fmt values (PROTOCOL.md §8.1).
const (
	// FmtASCII is Msg_Fmt 0: one 8-bit byte per character.
	FmtASCII uint8 = 0
	// FmtSIMWrite is Msg_Fmt 3: SIM card write (binary, usually TP_pId 0x7F).
	FmtSIMWrite uint8 = 3
	// FmtBinary is Msg_Fmt 4: 8-bit binary data.
	FmtBinary uint8 = 4
	// FmtUCS2 is Msg_Fmt 8: UTF-16 big-endian, no BOM.
	FmtUCS2 uint8 = 8
	// FmtUCS2NoSign is Msg_Fmt 9, not in the specification; hujm2023 accepts
	// it as UCS2 and so does Decode.
	FmtUCS2NoSign uint8 = 9
	// FmtGBK is Msg_Fmt 15: GBK double-byte Chinese text (decoded as GB18030).
	FmtGBK uint8 = 15
)

// Encoding names the text encoding a Splitter uses. The zero value "" means
// EncodingAuto.
type Encoding string

// Encodings accepted by ParseEncoding and Options.Encoding.
const (
	// EncodingAuto selects ASCII when every character is printable ASCII
	// (see IsPlainASCII) and UCS2 otherwise. GBK is never chosen
	// automatically.
	EncodingAuto Encoding = "auto"
	// EncodingASCII sends Msg_Fmt 0. Only the characters accepted by
	// IsPlainASCII are representable.
	EncodingASCII Encoding = "ascii"
	// EncodingUCS2 sends Msg_Fmt 8 (UTF-16BE). Every Unicode character is
	// representable; characters outside the BMP take two units.
	EncodingUCS2 Encoding = "ucs2"
	// EncodingGBK sends Msg_Fmt 15. Characters outside GBK (emoji, most
	// non-Chinese scripts) are rejected.
	EncodingGBK Encoding = "gbk"
)

// ParseEncoding parses an encoding name, case-insensitively and ignoring
// surrounding spaces. The empty string is EncodingAuto.
func ParseEncoding(s string) (Encoding, error) {
	switch e := Encoding(strings.ToLower(strings.TrimSpace(s))); e {
	case "", EncodingAuto:
		return EncodingAuto, nil
	case EncodingASCII, EncodingUCS2, EncodingGBK:
		return e, nil
	}
	return "", fmt.Errorf("%w: %q (want auto, ascii, ucs2 or gbk)", ErrUnknownEncoding, s)
}

// MsgFmt returns the Msg_Fmt value of a concrete encoding, and false for
// EncodingAuto or an unknown encoding.
func (e Encoding) MsgFmt() (uint8, bool) {
	switch e {
	case EncodingASCII:
		return FmtASCII, true
	case EncodingUCS2:
		return FmtUCS2, true
	case EncodingGBK:
		return FmtGBK, true
	}
	return 0, false
}

// IsPlainASCII reports whether every character of s is printable ASCII
// (0x20..0x7E) or a line break ('\n', '\r'). This is the set EncodingAuto
// sends as ASCII and the only set EncodingASCII accepts: other control
// characters have no place in an SMS and bytes above 0x7F are not ASCII.
func IsPlainASCII(s string) bool {
	return firstNonPlainASCII(s) < 0
}

// firstNonPlainASCII returns the byte offset of the first character that
// is not plain ASCII, or -1.
func firstNonPlainASCII(s string) int {
	for i := 0; i < len(s); i++ {
		if !isPlainASCIIByte(s[i]) {
			return i
		}
	}
	return -1
}

func isPlainASCIIByte(c byte) bool {
	return (c >= 0x20 && c <= 0x7E) || c == '\n' || c == '\r'
}
