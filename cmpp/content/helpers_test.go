package content

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// repeat returns s repeated n times.
func repeat(s string, n int) string { return strings.Repeat(s, n) }

// payloads returns the segment payloads of m, UDHs removed.
func payloads(t testing.TB, m Message) [][]byte {
	t.Helper()
	out := make([][]byte, len(m.Segments))
	for i, s := range m.Segments {
		if !s.UDHI {
			out[i] = s.Content
			continue
		}
		_, p, err := ParseUDH(s.Content)
		if err != nil {
			t.Fatalf("segment %d: ParseUDH: %v", i+1, err)
		}
		out[i] = p
	}
	return out
}

// checkMessage verifies every invariant of a split message against the
// options of the Splitter that produced it and the original text: Pk
// fields and UDH agree, every payload respects its byte and character
// limits, no segment ends inside a surrogate pair or a GBK character, the
// greedy cut wastes no room, and joining the payloads gives text back.
func checkMessage(t testing.TB, s *Splitter, text string, m Message) {
	t.Helper()
	o := s.Options()
	n := len(m.Segments)
	if n == 0 || n > o.MaxSegments {
		t.Fatalf("%d segments (max %d)", n, o.MaxSegments)
	}
	single := n == 1
	lim := o.limits(m.MsgFmt, single)
	ps := payloads(t, m)
	for i, seg := range m.Segments {
		if int(seg.PkTotal) != n || int(seg.PkNumber) != i+1 {
			t.Fatalf("segment %d: Pk %d/%d, want %d/%d", i+1, seg.PkNumber, seg.PkTotal, i+1, n)
		}
		if seg.UDHI == single {
			t.Fatalf("segment %d: UDHI %v with %d segments", i+1, seg.UDHI, n)
		}
		maxContent := MaxContentLength
		if m.MsgFmt == FmtASCII {
			maxContent = MaxASCIILength
		}
		if len(seg.Content) > maxContent {
			t.Fatalf("segment %d: Msg_Length %d > %d", i+1, len(seg.Content), maxContent)
		}
		if seg.UDHI {
			h, _, err := ParseUDH(seg.Content)
			if err != nil {
				t.Fatal(err)
			}
			if !h.Concat || h.Wide != o.UDH16 || h.Len != o.udhLen() || h.Reference != m.Reference ||
				int(h.Total) != n || int(h.Index) != i+1 {
				t.Fatalf("segment %d: UDH %+v, message ref %d, %d segments, UDH16 %v", i+1, h, m.Reference, n, o.UDH16)
			}
			if !o.UDH16 && m.Reference > 0xFF {
				t.Fatalf("8-bit reference %d", m.Reference)
			}
		}
		p := ps[i]
		if len(p) == 0 {
			t.Fatalf("segment %d: empty payload", i+1)
		}
		if len(p) > lim.bytes {
			t.Fatalf("segment %d: payload %d bytes > limit %d", i+1, len(p), lim.bytes)
		}
		chars := charsOf(t, m.MsgFmt, p)
		if lim.chars > 0 && chars > lim.chars {
			t.Fatalf("segment %d: %d characters > limit %d", i+1, chars, lim.chars)
		}
		// Greedy: the next segment's first character did not fit here.
		if i+1 < n {
			w := firstCharWidth(m.MsgFmt, ps[i+1])
			if len(p)+w <= lim.bytes && (lim.chars == 0 || chars+1 <= lim.chars) {
				t.Fatalf("segment %d: %d bytes/%d chars, next character (%d bytes) would have fit in %+v", i+1, len(p), chars, w, lim)
			}
		}
	}
	got, err := Join(m.MsgFmt, ps)
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	if got != text {
		t.Fatalf("round trip mismatch:\n got %q\nwant %q", got, text)
	}
	if n == 1 && !bytes.Equal(ps[0], m.Segments[0].Content) {
		t.Fatal("single message content differs from payload")
	}
	plan, err := s.PlanAs(text, encodingOf(m.MsgFmt))
	if err != nil || plan.Segments != n || plan.MsgFmt != m.MsgFmt {
		t.Fatalf("Plan = %+v, %v; Split gave %d segments fmt %d", plan, err, n, m.MsgFmt)
	}
}

// charsOf counts the characters of one payload as the handset counts them
// (UTF-16 units for UCS2) and fails when the payload ends inside a
// character: on a high surrogate, on a GBK lead byte, or on an odd byte.
func charsOf(t testing.TB, msgFmt uint8, p []byte) int {
	t.Helper()
	switch msgFmt {
	case FmtUCS2:
		if len(p)%2 != 0 {
			t.Fatalf("UCS2 payload of odd length %d", len(p))
		}
		if p[0]&0xFC == 0xDC {
			t.Fatalf("UCS2 payload starts with a low surrogate % x", p[:2])
		}
		if isHighSurrogate(p[len(p)-2]) {
			t.Fatalf("UCS2 payload ends with a high surrogate % x", p[len(p)-2:])
		}
		return len(p) / 2
	case FmtGBK:
		i, chars := 0, 0
		for i < len(p) {
			i += firstCharWidth(FmtGBK, p[i:])
			chars++
		}
		if i != len(p) {
			t.Fatalf("GBK payload ends with a lead byte 0x%02x", p[len(p)-1])
		}
		return chars
	default:
		if !utf8.Valid(p) {
			t.Fatalf("ASCII payload is not ASCII: %q", p)
		}
		return len(p)
	}
}

// firstCharWidth returns the encoded width of the first character of p.
func firstCharWidth(msgFmt uint8, p []byte) int {
	switch msgFmt {
	case FmtUCS2:
		if isHighSurrogate(p[0]) {
			return 4
		}
		return 2
	case FmtGBK:
		if isGBKLead(p[0]) {
			return 2
		}
	}
	return 1
}
