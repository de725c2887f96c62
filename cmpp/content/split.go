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
	msgFmt, b, ends, err := s.split(text, enc, true)
	if err != nil {
		return Message{}, err
	}
	if len(ends) == 1 {
		return Message{MsgFmt: msgFmt, Segments: []Segment{{Content: b, PkTotal: 1, PkNumber: 1}}}, nil
	}
	udhLen := s.opts.udhLen()
	ref := uint16(s.ref.Add(1))
	if !s.opts.UDH16 {
		ref &= 0xFF
	}
	total := uint8(len(ends)) // len(ends) <= MaxSegments <= 255, checked in split
	buf := make([]byte, 0, len(b)+len(ends)*udhLen)
	segs := make([]Segment, len(ends))
	start := 0
	for i, end := range ends {
		from := len(buf)
		buf = appendConcatUDH(buf, s.opts.UDH16, ref, total, uint8(i+1))
		buf = append(buf, b[start:end]...)
		segs[i] = Segment{Content: buf[from:len(buf):len(buf)], UDHI: true, PkTotal: total, PkNumber: uint8(i + 1)}
		start = end
	}
	return Message{MsgFmt: msgFmt, Reference: ref, Segments: segs}, nil
}

// Plan reports the encoding and segment count Split would produce, without
// building the segments or using a reference.
func (s *Splitter) Plan(text string) (Plan, error) {
	return s.PlanAs(text, s.opts.Encoding)
}

// PlanAs is Plan with the encoding chosen per call, read like SplitAs.
func (s *Splitter) PlanAs(text string, enc Encoding) (Plan, error) {
	msgFmt, b, ends, err := s.split(text, enc, false)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Encoding: encodingOf(msgFmt), MsgFmt: msgFmt, Segments: len(ends), Bytes: len(b)}, nil
}

// split encodes text and computes the payload end offsets of its segments
// (one offset for a single message). With keepEnds false only the count is
// kept and ends has the right length but no meaningful values.
func (s *Splitter) split(text string, enc Encoding, keepEnds bool) (uint8, []byte, []int, error) {
	if s.err != nil {
		return 0, nil, nil, s.err
	}
	if text == "" {
		return 0, nil, nil, ErrEmptyText
	}
	enc, err := ParseEncoding(string(enc))
	if err != nil {
		return 0, nil, nil, err
	}
	// Every encoding takes at least 2 bytes per 3 bytes of UTF-8, and no
	// segment carries more than MaxASCIILength bytes: reject huge texts
	// before encoding them.
	if maxUTF8 := s.opts.MaxSegments * MaxASCIILength * 3 / 2; len(text) > maxUTF8 {
		return 0, nil, nil, fmt.Errorf("%w: text of %d bytes exceeds %d segments", ErrTooManySegments, len(text), s.opts.MaxSegments)
	}
	msgFmt, b, err := encodeText(text, enc)
	if err != nil {
		return 0, nil, nil, err
	}
	if cut(msgFmt, b, 0, s.opts.limits(msgFmt, true)) == len(b) {
		return msgFmt, b, []int{len(b)}, nil
	}
	lim := s.opts.limits(msgFmt, false)
	var ends []int
	if keepEnds {
		ends = make([]int, 0, len(b)/lim.bytes+1)
	}
	n := 0
	for start := 0; start < len(b); n++ {
		if n == s.opts.MaxSegments {
			return 0, nil, nil, fmt.Errorf("%w: more than %d segments needed", ErrTooManySegments, s.opts.MaxSegments)
		}
		start = cut(msgFmt, b, start, lim)
		if keepEnds {
			ends = append(ends, start)
		}
	}
	if !keepEnds {
		ends = make([]int, n)
	}
	return msgFmt, b, ends, nil
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
