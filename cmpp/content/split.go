package content

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
)

// Segment is the content of one CMPP_SUBMIT.
type Segment struct {
	// Content is Msg_Content: the UDH (when UDHI) followed by the payload.
	// It shares a backing array with the other segments of its Message; its
	// capacity is clipped, so appending to it copies.
	Content []byte
	// UDHI is TP_udhi: true only in the segments of a long message.
	UDHI bool
	// PkTotal and PkNumber mirror the UDH (1/1 for a single message).
	PkTotal, PkNumber uint8
}

// Message is a text encoded and split for sending.
type Message struct {
	// MsgFmt is the Msg_Fmt of every segment.
	MsgFmt uint8
	// Reference is the concatenation reference in the UDH of every segment
	// (0..255 with the 6-byte UDH); 0 for a single message.
	Reference uint16
	// Segments holds one entry per CMPP_SUBMIT, in order.
	Segments []Segment
}

// Plan is the outcome of splitting without building the segments.
type Plan struct {
	// Encoding is the concrete encoding chosen (never EncodingAuto).
	Encoding Encoding
	// MsgFmt is the Msg_Fmt that goes with Encoding.
	MsgFmt uint8
	// Segments is the number of CMPP_SUBMITs per recipient (billing units).
	Segments int
	// Bytes is the encoded length of the text, UDHs excluded.
	Bytes int
}

// Splitter encodes texts and splits them into segments. It is safe for
// concurrent use. Every long message gets a fresh concatenation reference
// from a counter that starts at a random value.
type Splitter struct {
	opts Options
	err  error // from Options.Validate; returned by every call
	ref  atomic.Uint32
}

// NewSplitter returns a Splitter for opts (see Options for the defaults).
// Invalid options do not panic: every Split and Plan then returns the
// Options.Validate error.
func NewSplitter(opts Options) *Splitter {
	s := &Splitter{}
	s.opts, s.err = opts.resolve()
	s.ref.Store(rand.Uint32())
	return s
}

// Options returns the options in effect, defaults filled in.
func (s *Splitter) Options() Options { return s.opts }

// Split encodes text with the configured encoding and splits it.
func (s *Splitter) Split(text string) (Message, error) {
	return s.SplitAs(text, s.opts.Encoding)
}

// SplitAs is Split with the encoding chosen per call (for example by an API
// request); enc is read like ParseEncoding reads it ("" means EncodingAuto).
//
// A text within the single-message limits gives one segment without UDH
// (Pk 1/1). A longer text is cut greedily into segments that respect both
// the byte and the character limit (PROTOCOL.md §8.2), never between the
// two units of a surrogate pair nor inside a GBK character; each carries
// the concatenation UDH with TP_udhi set.
func (s *Splitter) SplitAs(text string, enc Encoding) (Message, error) {
	l, err := s.split(text, enc, true)
	if err != nil {
		return Message{}, err
	}
	if l.count == 1 {
		return Message{MsgFmt: l.msgFmt, Segments: []Segment{{Content: l.text, PkTotal: 1, PkNumber: 1}}}, nil
	}
	ref := uint16(s.ref.Add(1))
	if !s.opts.UDH16 {
		ref &= 0xFF
	}
	total := uint8(l.count) // l.count <= MaxSegments <= 255, checked by split and Validate
	buf := make([]byte, 0, len(l.text)+l.count*s.opts.udhLen())
	segs := make([]Segment, l.count)
	start := 0
	for i, end := range l.ends {
		from := len(buf)
		buf = appendConcatUDH(buf, s.opts.UDH16, ref, total, uint8(i+1))
		buf = append(buf, l.text[start:end]...)
		segs[i] = Segment{Content: buf[from:len(buf):len(buf)], UDHI: true, PkTotal: total, PkNumber: uint8(i + 1)}
		start = end
	}
	return Message{MsgFmt: l.msgFmt, Reference: ref, Segments: segs}, nil
}

// Plan reports the encoding and segment count Split would produce, without
// building the segments or using a reference.
func (s *Splitter) Plan(text string) (Plan, error) {
	return s.PlanAs(text, s.opts.Encoding)
}

// PlanAs is Plan with the encoding chosen per call, read like SplitAs.
func (s *Splitter) PlanAs(text string, enc Encoding) (Plan, error) {
	l, err := s.split(text, enc, false)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Encoding: encodingOf(l.msgFmt), MsgFmt: l.msgFmt, Segments: l.count, Bytes: len(l.text)}, nil
}

// layout is an encoded text and where its segments end.
type layout struct {
	msgFmt uint8
	text   []byte // encoded text, UDHs excluded
	count  int    // number of segments
	ends   []int  // end offset in text of each segment; nil when only counted
}

// split encodes text and lays out its segments: one for a text within the
// single-message limits, else as many segment-sized cuts as needed. With
// keepEnds false only the count is kept.
func (s *Splitter) split(text string, enc Encoding, keepEnds bool) (layout, error) {
	if s.err != nil {
		return layout{}, s.err
	}
	if text == "" {
		return layout{}, ErrEmptyText
	}
	enc, err := ParseEncoding(string(enc))
	if err != nil {
		return layout{}, err
	}
	// Every encoding takes at least 2 bytes per 3 bytes of UTF-8, and no
	// segment carries more than MaxASCIILength bytes: reject huge texts
	// before encoding them.
	if maxUTF8 := s.opts.MaxSegments * MaxASCIILength * 3 / 2; len(text) > maxUTF8 {
		return layout{}, fmt.Errorf("%w: text of %d bytes exceeds %d segments", ErrTooManySegments, len(text), s.opts.MaxSegments)
	}
	msgFmt, b, err := encodeText(text, enc)
	if err != nil {
		return layout{}, err
	}
	l := layout{msgFmt: msgFmt, text: b}
	if cut(msgFmt, b, 0, s.opts.limits(msgFmt, true)) == len(b) {
		l.count, l.ends = 1, []int{len(b)}
		return l, nil
	}
	lim := s.opts.limits(msgFmt, false)
	if keepEnds {
		l.ends = make([]int, 0, len(b)/lim.bytes+1)
	}
	for start := 0; start < len(b); l.count++ {
		if l.count == s.opts.MaxSegments {
			return layout{}, fmt.Errorf("%w: more than %d segments needed", ErrTooManySegments, s.opts.MaxSegments)
		}
		start = cut(msgFmt, b, start, lim)
		if keepEnds {
			l.ends = append(l.ends, start)
		}
	}
	return l, nil
}

// cut returns the end of the longest prefix of b[start:] that fits lim and
// ends on a character boundary. b must be the output of encodeText for
// msgFmt and lim must leave room for one character, so the result is
// always > start (for start < len(b)).
func cut(msgFmt uint8, b []byte, start int, lim limits) int {
	switch msgFmt {
	case FmtUCS2:
		end := start + lim.bytes&^1
		if end >= len(b) {
			return len(b)
		}
		if isHighSurrogate(b[end-2]) {
			end -= 2 // keep the pair together in the next segment
		}
		return end
	case FmtGBK:
		i, chars := start, 0
		for i < len(b) && chars < lim.chars {
			w := 1
			if isGBKLead(b[i]) {
				w = 2
			}
			if i+w-start > lim.bytes {
				break
			}
			i += w
			chars++
		}
		return i
	default: // ASCII: one byte per character
		return min(start+lim.bytes, len(b))
	}
}

// isHighSurrogate reports whether a UTF-16BE unit whose first byte is hi is
// a high (leading) surrogate, 0xD800..0xDBFF.
func isHighSurrogate(hi byte) bool { return hi&0xFC == 0xD8 }

// isGBKLead reports whether c starts a GBK double-byte character.
func isGBKLead(c byte) bool { return c >= 0x81 && c <= 0xFE }

// encodingOf maps the Msg_Fmt values Split produces back to their Encoding.
func encodingOf(msgFmt uint8) Encoding {
	switch msgFmt {
	case FmtASCII:
		return EncodingASCII
	case FmtGBK:
		return EncodingGBK
	default:
		return EncodingUCS2
	}
}
