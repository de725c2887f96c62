package loadgen

// jsonScanner walks a JSON document in place, without reflection or
// allocation, for the few fields the tool reads on its hot paths (the 202
// answer, webhook events). It validates what it walks (RFC 8259 grammar);
// whatever it does not handle simply (escaped strings, keys that differ
// from a wanted key only in case, deep nesting) makes it report "not
// sure", and the caller falls back to encoding/json, so the result is
// always what encoding/json would give.
type jsonScanner struct {
	b     []byte
	i     int
	depth int
}

// maxScanDepth bounds nesting; deeper documents go to encoding/json.
const maxScanDepth = 64

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// eof reports whether only whitespace is left.
func (s *jsonScanner) eof() bool {
	s.ws()
	return s.i == len(s.b)
}

// str reads a string without escapes at s.i (after whitespace) and returns
// its content; ok is false for anything else (including escapes and
// control characters).
func (s *jsonScanner) str() (v []byte, ok bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// value skips one value of any type; false if it is not simple, valid JSON.
func (s *jsonScanner) value() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return s.object(func([]byte) bool { return s.value() })
	case c == '[':
		return s.array(func() bool { return s.value() })
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return false
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// number skips a number (RFC 8259 grammar).
func (s *jsonScanner) number() bool {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// object walks an object at s.i (after whitespace), calling member for
// each key with s positioned before the value; member must consume the
// value and return false to give up.
func (s *jsonScanner) object(member func(key []byte) bool) bool {
	return s.container('{', '}', func() bool {
		key, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		return member(key)
	})
}

// array walks an array at s.i (after whitespace), calling elem with s
// positioned before each element; elem must consume it.
func (s *jsonScanner) array(elem func() bool) bool {
	return s.container('[', ']', elem)
}

// container walks the object or array opened by open at s.i (after
// whitespace) and closed by end, calling item for each member or element
// and consuming the separators; it gives up past maxScanDepth.
func (s *jsonScanner) container(open, end byte, item func() bool) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != open || s.depth >= maxScanDepth {
		return false
	}
	s.i++
	s.depth++
	defer func() { s.depth-- }()
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == end {
		s.i++
		return true
	}
	for {
		if !item() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case end:
			s.i++
			return true
		default:
			return false
		}
	}
}

// stringField reads the value of a wanted string field: an ASCII string
// without escapes, or null (which leaves dst as it was, like encoding/json).
func (s *jsonScanner) stringField(dst *[]byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == 'n' {
		return s.literal("null")
	}
	v, ok := s.str()
	if !ok {
		return false
	}
	for _, c := range v {
		if c >= 0x80 {
			return false // encoding/json replaces invalid UTF-8: let it
		}
	}
	*dst = v
	return true
}

// intField reads the value of a wanted integer field: an optional minus
// and up to 18 digits, or null.
func (s *jsonScanner) intField(dst *int64) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == 'n' {
		return s.literal("null")
	}
	neg := s.i < len(s.b) && s.b[s.i] == '-'
	if neg {
		s.i++
	}
	start := s.i
	var n int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' && s.i-start < 18 {
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || (digits > 1 && s.b[start] == '0') || s.i < len(s.b) && (s.b[s.i] >= '0' && s.b[s.i] <= '9' || s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return false // leading zero, too long, or not an integer: encoding/json decides
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

// keyIs reports whether key is want. A key that encoding/json might
// still match to want (it matches keys without case, Unicode folding
// included) sets unsure, and the caller gives up.
func keyIs(key []byte, want string, unsure *bool) bool {
	if string(key) == want {
		return true
	}
	for _, c := range key {
		if c >= 0x80 {
			*unsure = true // non-ASCII: leave the folding to encoding/json
			return false
		}
	}
	if len(key) == len(want) && equalFoldASCII(key, want) {
		*unsure = true
	}
	return false
}

// equalFoldASCII compares ASCII a and b ignoring letter case.
func equalFoldASCII(a []byte, b string) bool {
	for i := range a {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		lx, ly := x|0x20, y|0x20
		if lx != ly || lx < 'a' || lx > 'z' {
			return false
		}
	}
	return true
}
