package content

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// Character classes that matter to the splitter: ASCII (1 byte
// everywhere), BMP characters (2 bytes in UCS2; in GBK 2 bytes, or 1 for
// '€'), and characters outside the BMP (a surrogate pair in UCS2, not in
// GBK).
var (
	asciiChars  = []string{"a", "Z", "0", " ", ".", "\n", "~"}
	bmpChars    = []string{"中", "文", "测", "试", "，", "。", "【", "】", "€", "é"}
	astralChars = []string{"😀", "👍", "🎉", "𠀀"}
)

// randomText returns a text of n characters drawn from a random mix of
// the classes (ASCII only, ASCII+BMP, BMP only, everything, ...), so that
// every encoding gets texts it can carry and long runs of each class occur.
func randomText(rng *rand.Rand, n int) string {
	mixes := [][][]string{
		{asciiChars},
		{asciiChars, bmpChars},
		{bmpChars},
		{asciiChars, bmpChars, astralChars},
		{bmpChars, astralChars},
	}
	mix := mixes[rng.IntN(len(mixes))]
	var sb strings.Builder
	for range n {
		class := mix[rng.IntN(len(mix))]
		sb.WriteString(class[rng.IntN(len(class))])
	}
	return sb.String()
}

// TestSplitJoinProperty splits thousands of seeded random texts with random
// options and checks every invariant of checkMessage.
func TestSplitJoinProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261122, 1))
	counts := map[string]int{}
	for i := range 3000 {
		opts := Options{
			UDH16:            rng.IntN(2) == 0,
			SignatureReserve: rng.IntN(3) * rng.IntN(12),
			MaxSegments:      MaxSegmentsLimit,
		}
		text := randomText(rng, 1+rng.IntN(400))
		enc := []Encoding{EncodingAuto, EncodingUCS2, EncodingGBK, EncodingASCII}[rng.IntN(4)]
		s := NewSplitter(opts)
		m, err := s.SplitAs(text, enc)
		if err != nil {
			if !errors.Is(err, ErrUnrepresentable) || enc == EncodingAuto || enc == EncodingUCS2 {
				t.Fatalf("#%d %+v %s %q: %v", i, opts, enc, text, err)
			}
			counts["rejected"]++
			continue
		}
		checkMessage(t, s, text, m)
		if len(m.Segments) > 1 {
			counts["multi "+string(encodingOf(m.MsgFmt))]++
		} else {
			counts["single "+string(encodingOf(m.MsgFmt))]++
		}
	}
	t.Logf("cases: %v", counts)
	// The generator must really exercise every path.
	for _, k := range []string{"rejected", "multi ucs2", "multi gbk", "multi ascii", "single ucs2", "single gbk", "single ascii"} {
		if counts[k] == 0 {
			t.Errorf("no case of %q: %v", k, counts)
		}
	}
}

// FuzzSplitJoin: for any text and options, Split either fails with an
// expected error or gives segments that respect their limits, never end
// inside a character, carry consistent Pk fields and UDHs, and decode back
// to the text exactly (checkMessage).
func FuzzSplitJoin(f *testing.F) {
	f.Add("Hello CMPP", false, uint8(0), uint8(0))
	f.Add(strings.Repeat("一", 66)+"😀"+strings.Repeat("二", 10), false, uint8(0), uint8(0))
	f.Add(strings.Repeat("一", 65)+"😀"+strings.Repeat("二", 10), true, uint8(3), uint8(1))
	f.Add("A"+strings.Repeat("中文测试", 25), false, uint8(0), uint8(2))
	f.Add(strings.Repeat("a", 141), true, uint8(5), uint8(3))
	f.Add(strings.Repeat("€中", 50), false, uint8(1), uint8(2))
	f.Add("", false, uint8(0), uint8(0))
	f.Add("a\xffb", false, uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, text string, udh16 bool, reserve, encSel uint8) {
		opts := Options{UDH16: udh16, SignatureReserve: int(reserve % 40), MaxSegments: MaxSegmentsLimit}
		enc := []Encoding{EncodingAuto, EncodingUCS2, EncodingGBK, EncodingASCII}[encSel%4]
		s := NewSplitter(opts)
		if err := opts.Validate(); err != nil {
			t.Fatalf("options %+v rejected: %v", opts, err)
		}
		m, err := s.SplitAs(text, enc)
		switch {
		case text == "":
			if !errors.Is(err, ErrEmptyText) {
				t.Fatalf("empty text: err %v", err)
			}
		case !utf8.ValidString(text):
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("invalid UTF-8: err %v", err)
			}
		case errors.Is(err, ErrTooManySegments):
		case errors.Is(err, ErrUnrepresentable):
			if enc == EncodingAuto || enc == EncodingUCS2 {
				t.Fatalf("%s rejected %q: %v", enc, text, err)
			}
			var ce *CharError
			if !errors.As(err, &ce) || !strings.ContainsRune(text, ce.Char) {
				t.Fatalf("CharError %v does not name a character of the text", err)
			}
		case err != nil:
			t.Fatalf("unexpected error: %v", err)
		default:
			checkMessage(t, s, text, m)
		}
	})
}
