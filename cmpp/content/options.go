package content

import "fmt"

// Default values of Options fields left at their zero value.
const (
	// DefaultASCIISingleLimit is the default Options.ASCIISingleLimit: 140
	// characters, the size that is always safe (PROTOCOL.md §8.2).
	DefaultASCIISingleLimit = 140
	// DefaultASCIISegmentLimit is the default Options.ASCIISegmentLimit with
	// the 6-byte UDH (134 + 6 = 140 bytes).
	DefaultASCIISegmentLimit = 134
	// DefaultASCIISegmentLimit16 is the default Options.ASCIISegmentLimit
	// with the 7-byte UDH (133 + 7 = 140 bytes).
	DefaultASCIISegmentLimit16 = 133
	// DefaultMaxSegments is the default Options.MaxSegments: 10 segments,
	// i.e. 670 Chinese characters or 1340 ASCII characters.
	DefaultMaxSegments = 10
	// MaxSegmentsLimit is the largest Options.MaxSegments: Pk_total and the
	// UDH total are single bytes.
	MaxSegmentsLimit = 255
	// MaxASCIILength is the largest ASCII Msg_Length the specification
	// allows (Msg_Length < 160), UDH included.
	MaxASCIILength = 159
	// MaxContentLength is the largest Msg_Length for every format but ASCII.
	MaxContentLength = 140
	// UDHLen8 is the length of the concatenation UDH with an 8-bit
	// reference: 05 00 03 RR TT SS.
	UDHLen8 = 6
	// UDHLen16 is the length of the concatenation UDH with a 16-bit
	// reference: 06 08 04 RH RL TT SS.
	UDHLen16 = 7
)

// Options configures a Splitter. The zero value is valid and gives the
// defaults documented on each field.
type Options struct {
	// Encoding selects the encoding. Default (""): EncodingAuto, which sends
	// ASCII when IsPlainASCII(text) and UCS2 otherwise. GBK is used only
	// when requested explicitly.
	Encoding Encoding
	// UDH16 selects the 7-byte UDH with a 16-bit reference (06 08 04 RH RL
	// TT SS) instead of the default 6-byte UDH with an 8-bit reference
	// (05 00 03 RR TT SS). Segments then carry one character less.
	UDH16 bool
	// SignatureReserve is the number of characters kept free in every
	// single message and every segment for a signature or suffix the
	// operator appends (for example 【Company】). It is subtracted from every
	// character limit; for UCS2 and GBK it also removes 2 bytes per
	// character from the byte limit. Default 0.
	SignatureReserve int
	// ASCIISingleLimit is the largest ASCII text sent as a single message,
	// in characters (= bytes). Default 140; at most 159 (the spec's limit,
	// to be used only when the operator confirms it).
	ASCIISingleLimit int
	// ASCIISegmentLimit is the number of ASCII characters per segment of a
	// long message, UDH not included. Default 134 with the 6-byte UDH and
	// 133 with the 7-byte UDH, so that a segment is at most 140 bytes. At
	// most 159 minus the UDH length, and not above ASCIISingleLimit.
	ASCIISegmentLimit int
	// MaxSegments is the largest number of segments one text may need;
	// longer texts fail with ErrTooManySegments. Default 10, at most 255.
	MaxSegments int
}

// udhLen returns the length of the concatenation UDH these options produce.
func (o Options) udhLen() int {
	if o.UDH16 {
		return UDHLen16
	}
	return UDHLen8
}

// withDefaults returns o with every zero field replaced by its default.
func (o Options) withDefaults() Options {
	if o.Encoding == "" {
		o.Encoding = EncodingAuto
	}
	if o.ASCIISingleLimit == 0 {
		o.ASCIISingleLimit = DefaultASCIISingleLimit
	}
	if o.ASCIISegmentLimit == 0 {
		o.ASCIISegmentLimit = DefaultASCIISegmentLimit
		if o.UDH16 {
			o.ASCIISegmentLimit = DefaultASCIISegmentLimit16
		}
	}
	if o.MaxSegments == 0 {
		o.MaxSegments = DefaultMaxSegments
	}
	return o
}

// Validate reports whether the options (after defaults) are usable. Call it
// when loading configuration; a Splitter built from invalid options returns
// the same error from every Split.
func (o Options) Validate() error {
	_, err := o.resolve()
	return err
}

// resolve applies the defaults and validates the result.
func (o Options) resolve() (Options, error) {
	bad := func(format string, args ...any) (Options, error) {
		return o, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	enc, err := ParseEncoding(string(o.Encoding))
	if err != nil {
		return bad("Encoding: %v", err)
	}
	o.Encoding = enc
	o = o.withDefaults()
	switch {
	case o.SignatureReserve < 0:
		return bad("SignatureReserve %d is negative", o.SignatureReserve)
	case o.ASCIISingleLimit < 0 || o.ASCIISingleLimit > MaxASCIILength:
		return bad("ASCIISingleLimit %d outside 1..%d", o.ASCIISingleLimit, MaxASCIILength)
	case o.ASCIISegmentLimit < 0 || o.ASCIISegmentLimit > MaxASCIILength-o.udhLen():
		return bad("ASCIISegmentLimit %d outside 1..%d", o.ASCIISegmentLimit, MaxASCIILength-o.udhLen())
	case o.ASCIISegmentLimit > o.ASCIISingleLimit:
		return bad("ASCIISegmentLimit %d above ASCIISingleLimit %d", o.ASCIISegmentLimit, o.ASCIISingleLimit)
	case o.MaxSegments < 0 || o.MaxSegments > MaxSegmentsLimit:
		return bad("MaxSegments %d outside 1..%d", o.MaxSegments, MaxSegmentsLimit)
	}
	// Every limit must leave room for the widest character: a surrogate
	// pair (4 bytes) in UCS2, one character in ASCII.
	if l := o.limits(FmtUCS2, false); l.bytes < 4 {
		return bad("SignatureReserve %d leaves no room in a UCS2 segment", o.SignatureReserve)
	}
	if l := o.limits(FmtASCII, false); l.bytes < 1 {
		return bad("SignatureReserve %d leaves no room in an ASCII segment", o.SignatureReserve)
	}
	return o, nil
}

// limits bounds the payload of one message or segment.
type limits struct {
	bytes int // payload bytes, UDH excluded
	chars int // characters; 0 means bounded by bytes only
}

// limits returns the payload limits of a single message (single) or of one
// segment of a long message, for a resolved Options (PROTOCOL.md §8.2).
func (o Options) limits(msgFmt uint8, single bool) limits {
	r := o.SignatureReserve
	room := MaxContentLength
	if !single {
		room -= o.udhLen()
	}
	switch msgFmt {
	case FmtASCII:
		if single {
			return limits{bytes: o.ASCIISingleLimit - r}
		}
		return limits{bytes: o.ASCIISegmentLimit - r}
	case FmtGBK:
		// The handset receives GBK as UCS2: two bytes per character on the
		// air, whatever its GBK width.
		return limits{bytes: room - 2*r, chars: room/2 - r}
	default: // UCS2: whole units only (a 7-byte UDH leaves one byte unused).
		return limits{bytes: room&^1 - 2*r}
	}
}
