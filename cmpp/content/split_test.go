package content

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Shorthands for the test texts.
const (
	han   = "中" // one BMP Chinese character: 2 bytes in UCS2 and in GBK
	emoji = "😀" // U+1F600: a surrogate pair in UCS2, not in GBK
)

func TestSplitTable(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		enc     Encoding // passed to SplitAs; "" = Options.Encoding
		text    string
		msgFmt  uint8
		lengths []int // len(Content) of each segment, UDH included
	}{
		{name: "short ASCII", text: "Hello CMPP", msgFmt: FmtASCII, lengths: []int{10}},
		{name: "ASCII with line breaks", text: "a\r\nb", msgFmt: FmtASCII, lengths: []int{4}},
		{name: "ASCII 140 single", text: repeat("a", 140), msgFmt: FmtASCII, lengths: []int{140}},
		{name: "ASCII 141 split 134+7", text: repeat("a", 141), msgFmt: FmtASCII, lengths: []int{6 + 134, 6 + 7}},
		{name: "ASCII 268 exactly two", text: repeat("b", 268), msgFmt: FmtASCII, lengths: []int{140, 140}},
		{name: "ASCII tab goes UCS2 in auto", text: "a\tb", msgFmt: FmtUCS2, lengths: []int{6}},
		{name: "short Chinese UCS2", text: "你好", msgFmt: FmtUCS2, lengths: []int{4}},
		{name: "UCS2 70 units single", text: repeat(han, 70), msgFmt: FmtUCS2, lengths: []int{140}},
		{name: "UCS2 71 units split 67+4", text: repeat(han, 71), msgFmt: FmtUCS2, lengths: []int{6 + 134, 6 + 8}},
		{name: "UCS2 68 units + emoji = 70 units single", text: repeat(han, 68) + emoji, msgFmt: FmtUCS2, lengths: []int{140}},
		{name: "UCS2 69 units + emoji = 71 units", text: repeat(han, 69) + emoji, msgFmt: FmtUCS2,
			lengths: []int{6 + 134, 6 + 8}}, // units 68..71 (2 Chinese + the pair) go to segment 2
		{name: "PROTOCOL 12.5 emoji at the cut", text: repeat(han, 66) + emoji + repeat(han, 10), msgFmt: FmtUCS2,
			lengths: []int{138, 30}},
		{name: "emoji exactly ends segment", text: repeat(han, 65) + emoji + repeat(han, 10), msgFmt: FmtUCS2,
			lengths: []int{140, 26}},
		{name: "mixed ASCII and Chinese is UCS2", text: repeat("a", 69) + han, msgFmt: FmtUCS2, lengths: []int{140}},
		{name: "ASCII requested explicitly", enc: EncodingASCII, text: "OK", msgFmt: FmtASCII, lengths: []int{2}},
		{name: "UCS2 requested for ASCII", enc: EncodingUCS2, text: repeat("a", 71), msgFmt: FmtUCS2,
			lengths: []int{140, 14}},
		{name: "GBK single 70 chars 140 bytes", enc: EncodingGBK, text: repeat(han, 70), msgFmt: FmtGBK, lengths: []int{140}},
		{name: "GBK 71 chars: both limits bind at 67 chars/134 B", enc: EncodingGBK, text: repeat(han, 71), msgFmt: FmtGBK,
			lengths: []int{6 + 134, 6 + 8}},
		{name: "GBK character limit, 70 ASCII single", enc: EncodingGBK, text: repeat("a", 70), msgFmt: FmtGBK, lengths: []int{70}},
		{name: "GBK character limit, 71 ASCII = 71 B split", enc: EncodingGBK, text: repeat("a", 71), msgFmt: FmtGBK,
			lengths: []int{6 + 67, 6 + 4}},
		{name: "GBK A+100 Chinese (hujm text) on char boundary", enc: EncodingGBK, text: "A" + repeat(han, 100), msgFmt: FmtGBK,
			lengths: []int{6 + 1 + 66*2, 6 + 34*2}},
		{name: "encoding name read case-insensitively", enc: "GBK", text: "你好", msgFmt: FmtGBK, lengths: []int{4}},
		{name: "GBK euro sign is one byte", enc: EncodingGBK, text: "€" + han, msgFmt: FmtGBK, lengths: []int{3}},
		{name: "UDH16 UCS2 66 units", opts: Options{UDH16: true}, text: repeat(han, 71), msgFmt: FmtUCS2,
			lengths: []int{7 + 132, 7 + 10}},
		{name: "UDH16 ASCII 133", opts: Options{UDH16: true}, text: repeat("a", 141), msgFmt: FmtASCII,
			lengths: []int{7 + 133, 7 + 8}},
		{name: "UDH16 GBK 66 chars", opts: Options{UDH16: true}, enc: EncodingGBK, text: repeat(han, 71), msgFmt: FmtGBK,
			lengths: []int{7 + 132, 7 + 10}},
		{name: "UDH16 emoji at the cut", opts: Options{UDH16: true}, text: repeat(han, 65) + emoji + repeat(han, 10), msgFmt: FmtUCS2,
			lengths: []int{7 + 130, 7 + 24}},
		{name: "reserve 10: UCS2 60 single", opts: Options{SignatureReserve: 10}, text: repeat(han, 60), msgFmt: FmtUCS2,
			lengths: []int{120}},
		{name: "reserve 10: UCS2 61 split 57+4", opts: Options{SignatureReserve: 10}, text: repeat(han, 61), msgFmt: FmtUCS2,
			lengths: []int{6 + 114, 6 + 8}},
		{name: "reserve 10: ASCII 130 single", opts: Options{SignatureReserve: 10}, text: repeat("a", 130), msgFmt: FmtASCII,
			lengths: []int{130}},
		{name: "reserve 10: ASCII 131 split 124+7", opts: Options{SignatureReserve: 10}, text: repeat("a", 131), msgFmt: FmtASCII,
			lengths: []int{6 + 124, 6 + 7}},
		{name: "reserve 10: GBK 60 chars single", opts: Options{SignatureReserve: 10}, enc: EncodingGBK, text: repeat("a", 60),
			msgFmt: FmtGBK, lengths: []int{60}},
		{name: "reserve 10: GBK 61 chars split 57+4", opts: Options{SignatureReserve: 10}, enc: EncodingGBK, text: repeat("a", 61),
			msgFmt: FmtGBK, lengths: []int{6 + 57, 6 + 4}},
		{name: "spec ASCII limits 159/153", opts: Options{ASCIISingleLimit: 159, ASCIISegmentLimit: 153}, text: repeat("a", 160),
			msgFmt: FmtASCII, lengths: []int{159, 13}},
		{name: "10 segments is the default maximum", text: repeat(han, 670), msgFmt: FmtUCS2,
			lengths: []int{140, 140, 140, 140, 140, 140, 140, 140, 140, 140}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSplitter(tc.opts)
			enc := tc.enc
			if enc == "" {
				enc = s.Options().Encoding
			}
			m, err := s.SplitAs(tc.text, enc)
			if err != nil {
				t.Fatal(err)
			}
			if m.MsgFmt != tc.msgFmt {
				t.Errorf("MsgFmt = %d, want %d", m.MsgFmt, tc.msgFmt)
			}
			var got []int
			for _, seg := range m.Segments {
				got = append(got, len(seg.Content))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.lengths) {
				t.Errorf("segment lengths %v, want %v", got, tc.lengths)
			}
			checkMessage(t, s, tc.text, m)
		})
	}
}

// TestSplitProtocolExample checks PROTOCOL.md §12.5 byte for byte: 66
// Chinese characters, U+1F600 and 10 more give 138 + 30 byte segments with
// UDH 05 00 03 rr 02 01 / 05 00 03 rr 02 02, the emoji whole in segment 2.
func TestSplitProtocolExample(t *testing.T) {
	text := repeat("一", 66) + emoji + repeat("二", 10)
	m, err := NewSplitter(Options{}).Split(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Segments) != 2 {
		t.Fatalf("%d segments", len(m.Segments))
	}
	rr := byte(m.Reference)
	s1, s2 := m.Segments[0].Content, m.Segments[1].Content
	if want := []byte{0x05, 0x00, 0x03, rr, 0x02, 0x01}; !bytes.Equal(s1[:6], want) {
		t.Errorf("UDH 1 = % x, want % x", s1[:6], want)
	}
	if want := []byte{0x05, 0x00, 0x03, rr, 0x02, 0x02}; !bytes.Equal(s2[:6], want) {
		t.Errorf("UDH 2 = % x, want % x", s2[:6], want)
	}
	if want := bytes.Repeat([]byte{0x4e, 0x00}, 66); !bytes.Equal(s1[6:], want) {
		t.Errorf("segment 1 payload = % x", s1[6:])
	}
	if want := append([]byte{0xd8, 0x3d, 0xde, 0x00}, bytes.Repeat([]byte{0x4e, 0x8c}, 10)...); !bytes.Equal(s2[6:], want) {
		t.Errorf("segment 2 payload = % x", s2[6:])
	}
	for i, seg := range m.Segments {
		if !seg.UDHI || seg.PkTotal != 2 || seg.PkNumber != uint8(i+1) {
			t.Errorf("segment %d: UDHI %v Pk %d/%d", i+1, seg.UDHI, seg.PkNumber, seg.PkTotal)
		}
	}
}

func TestSplitSingleHasNoUDH(t *testing.T) {
	m, err := NewSplitter(Options{}).Split("你好")
	if err != nil {
		t.Fatal(err)
	}
	want := Message{MsgFmt: FmtUCS2, Segments: []Segment{{Content: []byte{0x4f, 0x60, 0x59, 0x7d}, PkTotal: 1, PkNumber: 1}}}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("got %+v, want %+v", m, want)
	}
}

func TestSplitUDH16Bytes(t *testing.T) {
	s := NewSplitter(Options{UDH16: true})
	m, err := s.Split(repeat(han, 71))
	if err != nil {
		t.Fatal(err)
	}
	rh, rl := byte(m.Reference>>8), byte(m.Reference)
	for i, seg := range m.Segments {
		want := []byte{0x06, 0x08, 0x04, rh, rl, 0x02, byte(i + 1)}
		if !bytes.Equal(seg.Content[:7], want) {
			t.Errorf("segment %d UDH % x, want % x", i+1, seg.Content[:7], want)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		enc  Encoding
		text string
		want error
		msg  string // substring of the error text, when set
	}{
		{name: "empty", text: "", want: ErrEmptyText},
		{name: "empty GBK", enc: EncodingGBK, text: "", want: ErrEmptyText},
		{name: "invalid UTF-8", text: "ab\xffcd", want: ErrInvalidUTF8, msg: "offset 2"},
		{name: "ASCII with Chinese", enc: EncodingASCII, text: "price 你好", want: ErrUnrepresentable,
			msg: "U+4F60 '你' at index 6 cannot be encoded as ascii"},
		{name: "ASCII with tab", enc: EncodingASCII, text: "a\tb", want: ErrUnrepresentable, msg: "U+0009"},
		{name: "ASCII with Latin-1", enc: EncodingASCII, text: "café", want: ErrUnrepresentable, msg: "index 3"},
		{name: "GBK with emoji", enc: EncodingGBK, text: "你好" + emoji, want: ErrUnrepresentable,
			msg: "U+1F600 '😀' at index 2 cannot be encoded as gbk"},
		{name: "GBK with replacement char", enc: EncodingGBK, text: "a\uFFFD", want: ErrUnrepresentable, msg: "U+FFFD"},
		{name: "too many UCS2 segments", text: repeat(han, 671), want: ErrTooManySegments},
		{name: "MaxSegments 2", opts: Options{MaxSegments: 2}, text: repeat(han, 3*67), want: ErrTooManySegments},
		{name: "MaxSegments 1 forbids splitting", opts: Options{MaxSegments: 1}, text: repeat("a", 141), want: ErrTooManySegments},
		{name: "huge text rejected before encoding", text: repeat("a", 1<<20), want: ErrTooManySegments},
		{name: "unknown encoding", enc: "utf7", text: "a", want: ErrUnknownEncoding},
		{name: "invalid options", opts: Options{MaxSegments: 256}, text: "a", want: ErrInvalidOptions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSplitter(tc.opts)
			enc := tc.enc
			if enc == "" {
				enc = s.Options().Encoding
			}
			_, err := s.SplitAs(tc.text, enc)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.msg != "" && !bytes.Contains([]byte(err.Error()), []byte(tc.msg)) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if _, perr := s.PlanAs(tc.text, enc); !errors.Is(perr, tc.want) {
				t.Errorf("Plan err = %v, want %v", perr, tc.want)
			}
		})
	}
	var ce *CharError
	_, err := NewSplitter(Options{Encoding: EncodingGBK}).Split("ab" + emoji)
	if !errors.As(err, &ce) || ce.Char != 0x1F600 || ce.Index != 2 || ce.Encoding != EncodingGBK {
		t.Fatalf("CharError = %+v (err %v)", ce, err)
	}
}

func TestSplitReferences(t *testing.T) {
	t.Run("8-bit references advance and stay in range", func(t *testing.T) {
		s := NewSplitter(Options{})
		text := repeat("a", 200)
		prev := -1
		for range 300 {
			m, err := s.Split(text)
			if err != nil {
				t.Fatal(err)
			}
			if m.Reference > 0xFF {
				t.Fatalf("reference %d", m.Reference)
			}
			if prev >= 0 && int(m.Reference) != (prev+1)&0xFF {
				t.Fatalf("reference %d after %d", m.Reference, prev)
			}
			prev = int(m.Reference)
		}
	})
	t.Run("single messages take no reference", func(t *testing.T) {
		s := NewSplitter(Options{UDH16: true})
		a, _ := s.Split(repeat("a", 200))
		if m, _ := s.Split("short"); m.Reference != 0 {
			t.Fatalf("single message reference %d", m.Reference)
		}
		b, _ := s.Split(repeat("a", 200))
		if b.Reference != a.Reference+1 {
			t.Fatalf("references %d then %d", a.Reference, b.Reference)
		}
	})
	t.Run("concurrent splits get distinct 16-bit references", func(t *testing.T) {
		s := NewSplitter(Options{UDH16: true})
		const workers, each = 8, 100
		refs := make(chan uint16, workers*each)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					m, err := s.Split(repeat(han, 100))
					if err != nil {
						t.Error(err)
						return
					}
					refs <- m.Reference
				}
			})
		}
		wg.Wait()
		close(refs)
		seen := map[uint16]bool{}
		for r := range refs {
			if seen[r] {
				t.Fatalf("reference %d used twice", r)
			}
			seen[r] = true
		}
		if len(seen) != workers*each {
			t.Fatalf("%d references, want %d", len(seen), workers*each)
		}
	})
}

func TestPlan(t *testing.T) {
	s := NewSplitter(Options{})
	p, err := s.Plan(repeat(han, 66) + emoji + repeat(han, 10))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Plan{Encoding: EncodingUCS2, MsgFmt: FmtUCS2, Segments: 2, Bytes: 156}); p != want {
		t.Fatalf("Plan = %+v, want %+v", p, want)
	}
	p, err = s.Plan("hi")
	if err != nil || p != (Plan{Encoding: EncodingASCII, MsgFmt: FmtASCII, Segments: 1, Bytes: 2}) {
		t.Fatalf("Plan = %+v, %v", p, err)
	}
}

// TestCutGBKByteLimit drives cut with a byte limit tighter than the
// character limit (not reachable with the real limits, where 2 bytes per
// character make them coincide): it must stop before a double-byte
// character that does not fit, never between its bytes.
func TestCutGBKByteLimit(t *testing.T) {
	b := []byte{'a', 0xd6, 0xd0, 0xce, 0xc4, 'b'} // a中文b
	tests := []struct {
		lim  limits
		want []int
	}{
		{limits{bytes: 2, chars: 10}, []int{1, 3, 5, 6}},
		{limits{bytes: 4, chars: 10}, []int{3, 6}},
		{limits{bytes: 5, chars: 10}, []int{5, 6}},
		{limits{bytes: 10, chars: 2}, []int{3, 6}},
	}
	for _, tc := range tests {
		var got []int
		for start := 0; start < len(b); {
			start = cut(FmtGBK, b, start, tc.lim)
			got = append(got, start)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("limits %+v: cuts %v, want %v", tc.lim, got, tc.want)
		}
	}
}
