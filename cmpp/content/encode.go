package content

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// encodeText encodes text for enc (EncodingAuto resolved here) and returns
// the Msg_Fmt it chose with the encoded bytes.
func encodeText(text string, enc Encoding) (uint8, []byte, error) {
	if !utf8.ValidString(text) {
		return 0, nil, invalidUTF8(text)
	}
	switch enc {
	case EncodingAuto, "":
		if IsPlainASCII(text) {
			return FmtASCII, []byte(text), nil
		}
		return FmtUCS2, encodeUCS2(text), nil
	case EncodingASCII:
		if i := firstNonPlainASCII(text); i >= 0 {
			return 0, nil, charErrorAt(text, i, EncodingASCII)
		}
		return FmtASCII, []byte(text), nil
	case EncodingUCS2:
		return FmtUCS2, encodeUCS2(text), nil
	case EncodingGBK:
		b, err := encodeGBK(text)
		return FmtGBK, b, err
	}
	return 0, nil, fmt.Errorf("%w: %q", ErrUnknownEncoding, string(enc))
}

// encodeUCS2 encodes valid UTF-8 text as UTF-16BE without BOM.
func encodeUCS2(text string) []byte {
	// Size from the UTF-8 lead bytes (the text is valid): one unit per
	// character, two for a 4-byte sequence (outside the BMP).
	n := 0
	for i := 0; i < len(text); i++ {
		if c := text[i]; c&0xC0 != 0x80 {
			n += 2
			if c >= 0xF0 {
				n += 2
			}
		}
	}
	b := make([]byte, n)
	i := 0
	for _, r := range text {
		if r >= 0x10000 {
			r -= 0x10000
			hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
			b[i], b[i+1], b[i+2], b[i+3] = byte(hi>>8), byte(hi), byte(lo>>8), byte(lo)
			i += 4
			continue
		}
		b[i], b[i+1] = byte(r>>8), byte(r)
		i += 2
	}
	return b
}

// encodeGBK encodes valid UTF-8 text as GBK. A character GBK cannot carry
// yields a *CharError naming it; nothing is ever replaced.
func encodeGBK(text string) ([]byte, error) {
	b, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err == nil {
		return []byte(b), nil
	}
	// Error path only: find the first character the encoder refuses.
	for i, r := range text {
		if _, err := simplifiedchinese.GBK.NewEncoder().String(string(r)); err != nil {
			return nil, charErrorAt(text, i, EncodingGBK)
		}
	}
	return nil, fmt.Errorf("%w: GBK: %v", ErrUnrepresentable, err)
}

// charErrorAt builds the *CharError for the character at byte offset off.
func charErrorAt(text string, off int, enc Encoding) error {
	r, _ := utf8.DecodeRuneInString(text[off:])
	return &CharError{Encoding: enc, Char: r, Index: utf8.RuneCountInString(text[:off])}
}

// invalidUTF8 reports the byte offset of the first invalid UTF-8 sequence.
func invalidUTF8(text string) error {
	for i, r := range text {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(text[i:]); size == 1 {
				return fmt.Errorf("%w: invalid byte 0x%02x at offset %d", ErrInvalidUTF8, text[i], i)
			}
		}
	}
	return ErrInvalidUTF8
}
