package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// encoding/json is lenient where a gateway must not be: it replaces
// invalid UTF-8 and unpaired UTF-16 surrogate escapes ("\ud800") by U+FFFD
// without a word, and of two keys that match the same field ("to" and
// "To", or "to" twice) it keeps the last one. checkJSONText finds both in
// the raw bytes of a body that encoding/json has already accepted, in one
// pass without allocating for an ordinary body.

// keyMapAfter is the number of keys of one object compared pairwise;
// beyond it their folded forms go into a map, so a body of many keys costs
// linear time.
const keyMapAfter = 16

// textFrame is one open object or array while scanning.
type textFrame struct {
	object    bool
	expectKey bool                // object: the next string is a key
	index     int                 // array: index of the current element
	key       []byte              // object: the current key (raw, unescaped)
	keysFrom  int                 // its object's keys start at this index of the key stack
	folded    map[string]struct{} // object with more than keyMapAfter keys
}

// checkJSONText checks raw, a body encoding/json decoded without error:
// every string must be valid UTF-8 without unpaired surrogate escapes (else
// 422 invalid_text naming the field), and no object may hold two keys that
// are equal or equal but for case, as encoding/json matches them (else 400
// duplicate_key). The state lives in local arrays (no allocation for a
// body up to 8 levels deep and 16 keys per open object).
func checkJSONText(raw []byte) *apiError {
	var framesBuf [8]textFrame
	var keysBuf [16][]byte
	frames, keys := framesBuf[:0], keysBuf[:0]
	valid := utf8.Valid(raw) // usual case: no need to decode characters one by one
	for i := 0; i < len(raw); {
		switch c := raw[i]; c {
		case '{':
			frames = append(frames, textFrame{object: true, expectKey: true, keysFrom: len(keys)})
			i++
		case '[':
			frames = append(frames, textFrame{keysFrom: len(keys)})
			i++
		case '}', ']':
			if n := len(frames); n > 0 {
				keys = keys[:frames[n-1].keysFrom]
				frames = frames[:n-1]
			}
			i++
		case ',':
			if n := len(frames); n > 0 {
				if f := &frames[n-1]; f.object {
					f.expectKey = true
				} else {
					f.index++
				}
			}
			i++
		case ':':
			if n := len(frames); n > 0 {
				frames[n-1].expectKey = false
			}
			i++
		case '"':
			isKey := false
			if n := len(frames); n > 0 && frames[n-1].object && frames[n-1].expectKey {
				isKey = true
				frames[n-1].key = nil // the path of a key is its object's
			}
			end, escaped, bad, what := scanString(raw, i, valid)
			if what != "" {
				return textError(frames, isKey, bad, what)
			}
			if isKey {
				var e *apiError
				if keys, e = addKey(raw, keys, &frames[len(frames)-1], i, raw[i+1:end], escaped); e != nil {
					return e
				}
			}
			i = end + 1
		default:
			i++ // whitespace, numbers, true, false, null
		}
	}
	return nil
}

// scanString scans the string literal whose opening quote is at raw[at]
// and returns the index of its closing quote and whether it holds
// escapes, or, when what is not "", the offset of the first fault and
// what it is. valid says raw is valid UTF-8 as a whole.
func scanString(raw []byte, at int, valid bool) (end int, escaped bool, bad int, what string) {
	for i := at + 1; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			return i, escaped, 0, ""
		case c == '\\':
			escaped = true
			if i+1 < len(raw) && raw[i+1] == 'u' {
				n, ok := surrogateEscape(raw, i)
				if !ok {
					return 0, false, i, "has an unpaired UTF-16 surrogate escape " + string(raw[i:i+6])
				}
				i += n
				continue
			}
			i += 2
		case c < utf8.RuneSelf || valid:
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, i, "is not valid UTF-8"
			}
			i += size
		}
	}
	return len(raw), escaped, 0, "" // unreachable for a body encoding/json accepted
}

// surrogateEscape checks the \uXXXX escape at raw[i]: a high surrogate
// must be followed by a low one, a low one must not stand alone. It
// returns the number of bytes the escape (or pair) spans.
func surrogateEscape(raw []byte, i int) (int, bool) {
	r := hex4(raw, i+2)
	switch {
	case r < 0xD800 || r > 0xDFFF:
		return 6, true
	case r >= 0xDC00:
		return 0, false
	}
	if i+12 <= len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
		if lo := hex4(raw, i+8); lo >= 0xDC00 && lo <= 0xDFFF {
			return 12, true
		}
	}
	return 0, false
}

// hex4 decodes the 4 hex digits at raw[i:] (-1 if they are not).
func hex4(raw []byte, i int) rune {
	if i+4 > len(raw) {
		return -1
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// addKey records key (the raw bytes between the quotes at raw[at]) in f,
// the innermost object, whose keys are keys[f.keysFrom:], and refuses it
// when an earlier key of f is equal or equal but for case
// (bytes.EqualFold: the matching encoding/json applies to field names).
func addKey(raw []byte, keys [][]byte, f *textFrame, at int, key []byte, escaped bool) ([][]byte, *apiError) {
	if escaped {
		var k string
		if err := json.Unmarshal(raw[at:at+len(key)+2], &k); err != nil {
			return keys, errorf(http.StatusBadRequest, CodeMalformedJSON, fmt.Sprintf("invalid key at byte %d", at))
		}
		key = []byte(k)
	}
	f.key = key
	seen := keys[f.keysFrom:]
	if f.folded == nil {
		for _, k := range seen {
			if bytes.EqualFold(k, key) {
				return keys, duplicateKey(at, k, key)
			}
		}
		if len(seen) < keyMapAfter {
			return append(keys, key), nil
		}
		f.folded = make(map[string]struct{}, 2*keyMapAfter)
		for _, k := range seen {
			f.folded[foldKey(k)] = struct{}{}
		}
	}
	fk := foldKey(key)
	if _, dup := f.folded[fk]; dup {
		for _, k := range seen { // name the earlier spelling when we still have it
			if bytes.EqualFold(k, key) {
				return keys, duplicateKey(at, k, key)
			}
		}
		return keys, duplicateKey(at, key, key)
	}
	f.folded[fk] = struct{}{}
	return keys, nil
}

// foldKey maps every character of k to the smallest member of its simple
// case-folding orbit, so foldKey(a) == foldKey(b) exactly when
// bytes.EqualFold(a, b).
func foldKey(k []byte) string {
	var b strings.Builder
	b.Grow(len(k))
	for _, r := range string(k) {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// duplicateKey is the 400 of a key seen twice in one object.
func duplicateKey(at int, first, again []byte) *apiError {
	if bytes.Equal(first, again) {
		return errorf(http.StatusBadRequest, CodeDuplicateKey,
			fmt.Sprintf("key %s appears twice in one object (byte %d)", strconv.Quote(clip(string(again))), at))
	}
	return errorf(http.StatusBadRequest, CodeDuplicateKey,
		fmt.Sprintf("keys %s and %s differ only in case (byte %d); send each field once, spelt as documented",
			strconv.Quote(clip(string(first))), strconv.Quote(clip(string(again))), at))
}

// textError is the 422 of a bad string (a key when isKey) inside frames,
// the fault being at byte pos. The field is named by its path ("content",
// "to[2]", clipped: deep nesting makes it as long as the body); the text
// itself is never echoed.
func textError(frames []textFrame, isKey bool, pos int, what string) *apiError {
	field := strconv.Quote(clip(path(frames)))
	if isKey {
		field = "a key of " + field
	}
	return errorf(http.StatusUnprocessableEntity, CodeInvalidText, fmt.Sprintf("%s %s (byte %d)", field, what, pos))
}

// path names the value being scanned: "content", "to[2]", "a.b[0]"; "body"
// at the top level.
func path(frames []textFrame) string {
	var b strings.Builder
	for _, f := range frames {
		if f.object {
			if f.key == nil {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(clip(string(f.key)))
		} else {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(f.index))
			b.WriteByte(']')
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}
