package content

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// partsOf splits text and returns its segments as MO parts.
func partsOf(t *testing.T, s *Splitter, sender, text string) []Part {
	t.Helper()
	m, err := s.Split(text)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]Part, len(m.Segments))
	for i, seg := range m.Segments {
		parts[i] = Part{Sender: sender, Receiver: "1065800001", MsgFmt: m.MsgFmt, UDHI: seg.UDHI, Content: seg.Content}
	}
	return parts
}

// feed adds parts in the given order (1-based indexes) and returns every
// completed message.
func feed(t *testing.T, r *Reassembler, now time.Time, parts []Part, order ...int) []*Assembled {
	t.Helper()
	var done []*Assembled
	for _, i := range order {
		a, err := r.Add(now, parts[i-1])
		if err != nil {
			t.Fatalf("Add part %d: %v", i, err)
		}
		if a != nil {
			done = append(done, a)
		}
	}
	return done
}

func TestReassembleOutOfOrder(t *testing.T) {
	s := NewSplitter(Options{})
	text := strings.Repeat("乱序到达的长短信", 20) + "😀end"
	parts := partsOf(t, s, "13800138000", text)
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	r := NewReassembler(ReassemblerOptions{})
	if a, err := r.Add(t0, parts[2]); a != nil || err != nil {
		t.Fatalf("part 3 alone: %v %v", a, err)
	}
	if a, err := r.Add(t0, parts[0]); a != nil || err != nil {
		t.Fatalf("parts 3+1: %v %v", a, err)
	}
	if st := r.Stats(); st.Pending != 1 {
		t.Fatalf("stats %+v", st)
	}
	a, err := r.Add(t0.Add(time.Minute), parts[1])
	if err != nil || a == nil {
		t.Fatalf("last part: %v %v", a, err)
	}
	if a.Text != text || a.Segments != 3 || a.MsgFmt != FmtUCS2 || a.Sender != "13800138000" || a.Receiver != "1065800001" {
		t.Fatalf("assembled %+v", a)
	}
	if st := r.Stats(); st.Pending != 0 || st.Completed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReassembleDuplicates(t *testing.T) {
	s := NewSplitter(Options{})
	parts := partsOf(t, s, "13800138000", strings.Repeat("x", 300)) // 3 ASCII segments
	r := NewReassembler(ReassemblerOptions{})
	done := feed(t, r, t0, parts, 1, 1, 3, 1, 3, 2)
	if len(done) != 1 || done[0].Text != strings.Repeat("x", 300) {
		t.Fatalf("done = %+v", done)
	}
	if st := r.Stats(); st.Duplicates != 3 || st.Completed != 1 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
	// A late duplicate after completion opens a new set that never completes
	// and expires.
	if got := feed(t, r, t0, parts, 2); len(got) != 0 {
		t.Fatalf("late duplicate completed %+v", got)
	}
	if n := r.Expire(t0.Add(DefaultReassemblyTTL)); n != 1 {
		t.Fatalf("Expire = %d", n)
	}
}

func TestReassembleInterleavedSenders(t *testing.T) {
	// Same reference and total from two handsets, and a third message from
	// the first handset to another SP number: three independent sets.
	s1 := NewSplitter(Options{})
	s2 := NewSplitter(Options{})
	s2.ref.Store(s1.ref.Load())
	textA, textB, textC := strings.Repeat("甲", 100), strings.Repeat("乙", 100), strings.Repeat("丙", 100)
	a := partsOf(t, s1, "13800138000", textA)
	b := partsOf(t, s2, "13900139000", textB)
	c := partsOf(t, NewSplitter(Options{}), "13800138000", textC)
	for i := range c {
		c[i].Receiver = "10658000019"
	}
	if a[0].Content[3] != b[0].Content[3] {
		t.Fatal("test setup: references differ")
	}
	r := NewReassembler(ReassemblerOptions{})
	got := map[string]string{}
	for _, p := range []Part{b[1], a[1], c[0], a[0], c[1], b[0]} {
		m, err := r.Add(t0, p)
		if err != nil {
			t.Fatal(err)
		}
		if m != nil {
			got[m.Sender+">"+m.Receiver] = m.Text
		}
	}
	want := map[string]string{
		"13800138000>1065800001":  textA,
		"13900139000>1065800001":  textB,
		"13800138000>10658000019": textC,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v", got)
	}
}

// TestReassembleHujmVectors feeds the long messages that hujm2023 split
// blindly every 134 bytes (hujm-2.0-client.txt) back as MO segments, in
// reverse order: a surrogate pair and a GBK character cut in two must come
// out whole, which only works by joining bytes before decoding.
func TestReassembleHujmVectors(t *testing.T) {
	subs := readVectorSubmits(t, "hujm-2.0-client.txt")
	var long []Part
	for _, v := range subs {
		if HasUDHI(v.TPUDHI) {
			long = append(long, v.asMO())
		}
	}
	if len(long) != 9 {
		t.Fatalf("%d long segments in the vector file, want 9", len(long))
	}
	// The blind cuts really are there.
	if c := long[3].Content; c[len(c)-2] != 0xd8 || c[len(c)-1] != 0x3d {
		t.Fatalf("emoji segment 1 ends % x, want d8 3d", c[len(c)-2:])
	}
	if c := long[5].Content; c[len(c)-1] != 0xb2 {
		t.Fatalf("GBK segment 1 ends 0x%02x, want b2", c[len(c)-1])
	}
	// Decoding segment by segment garbles them.
	_, p1, _ := ParseUDH(long[3].Content)
	if s, _ := Decode(FmtUCS2, p1); !strings.HasSuffix(s, "\uFFFD") {
		t.Fatalf("per-segment decode of the cut pair = %q", s)
	}

	r := NewReassembler(ReassemblerOptions{})
	var got []string
	for i := len(long) - 1; i >= 0; i-- {
		a, err := r.Add(t0, long[i])
		if err != nil {
			t.Fatal(err)
		}
		if a != nil {
			got = append(got, fmt.Sprintf("%d/%d:%s", a.MsgFmt, a.Segments, a.Text))
		}
	}
	want := []string{
		"0/2:" + strings.Repeat("ASCII long message test. ", 8),
		"15/2:A" + strings.Repeat("中文测试", 25),
		"8/2:" + strings.Repeat("一二三四五六七八九十", 6) + "一二三四五六" + "😀" + "结尾十个字测试完毕了",
		"8/3:【互通测试】这是一条用于CMPP互通测试的中文长短信。内容超过七十个汉字，因此必须按UCS2编码拆分为多段发送，" +
			"每一段都带有六字节的UDH头，接收方根据参考号、总条数和序号重新组装。本段文字继续补充若干内容，" +
			"使总长度超过一百三十四个UTF-16单元，从而得到三段。谢谢！祝一切顺利。",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("assembled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Our splitter cuts the same texts on character boundaries instead.
	for _, w := range want[1:3] {
		text := w[strings.Index(w, ":")+1:]
		enc := EncodingUCS2
		if strings.HasPrefix(w, "15/") {
			enc = EncodingGBK
		}
		s := NewSplitter(Options{})
		m, err := s.SplitAs(text, enc)
		if err != nil {
			t.Fatal(err)
		}
		checkMessage(t, s, text, m)
	}
	// Short messages of the same file complete at once.
	for _, v := range subs {
		if HasUDHI(v.TPUDHI) {
			continue
		}
		a, err := r.Add(t0, v.asMO())
		if err != nil || a == nil || a.Segments != 1 {
			t.Fatalf("single part: %+v %v", a, err)
		}
		if a.Text != "Hello CMPP interop 123" && a.Text != "你好，短信互通测试。" {
			t.Fatalf("single text %q", a.Text)
		}
	}
	if st := r.Stats(); st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestReassembleNodeVectors does the same with node-cmpp (npm cmpp 4.0.1),
// which cuts UCS2 every 134 bytes and sends short texts as GBK, ASCII
// included.
func TestReassembleNodeVectors(t *testing.T) {
	r := NewReassembler(ReassemblerOptions{})
	var got []string
	for _, v := range readVectorSubmits(t, "node-2.0-client.txt") {
		a, err := r.Add(t0, v.asMO())
		if err != nil {
			t.Fatal(err)
		}
		if a != nil {
			got = append(got, fmt.Sprintf("%d/%d:%s", a.MsgFmt, a.Segments, a.Text))
		}
	}
	want := []string{
		"15/1:Hello CMPP interop 123",
		"15/1:你好，短信互通测试。",
		"8/3:【互通测试】这是一条用于CMPP互通测试的中文长短信。内容超过七十个汉字，因此必须按UCS2编码拆分为多段发送，" +
			"每一段都带有六字节的UDH头，接收方根据参考号、总条数和序号重新组装。本段文字继续补充若干内容，" +
			"使总长度超过一百三十四个UTF-16单元，从而得到三段。谢谢！祝一切顺利。",
		"8/2:" + strings.Repeat("一二三四五六七八九十", 6) + "一二三四五六" + "😀" + "结尾十个字测试完毕了",
		"15/1:群发测试",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("assembled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReassembleTTL(t *testing.T) {
	s := NewSplitter(Options{})
	parts := partsOf(t, s, "13800138000", strings.Repeat("过期", 50))
	r := NewReassembler(ReassemblerOptions{TTL: 2 * time.Hour})
	feed(t, r, t0, parts, 1)
	if n := r.Expire(t0.Add(2*time.Hour - time.Second)); n != 0 {
		t.Fatalf("expired %d before TTL", n)
	}
	if n := r.Expire(t0.Add(2 * time.Hour)); n != 1 {
		t.Fatalf("Expire at TTL = %d, want 1", n)
	}
	if got := feed(t, r, t0.Add(2*time.Hour), parts, 2); len(got) != 0 {
		t.Fatal("segment 2 completed an expired set")
	}
	// Expiry is also applied by Add: segment 1 of a set older than the TTL
	// is dropped instead of being joined with a newcomer.
	r = NewReassembler(ReassemblerOptions{TTL: time.Minute})
	feed(t, r, t0, parts, 1)
	if got := feed(t, r, t0.Add(time.Minute), parts, 2); len(got) != 0 {
		t.Fatal("stale set completed")
	}
	if got := feed(t, r, t0.Add(90*time.Second), parts, 1); len(got) != 1 || got[0].Text != strings.Repeat("过期", 50) {
		t.Fatalf("fresh set: %+v", got)
	}
	if st := r.Stats(); st.Expired != 1 || st.Pending != 0 || st.Completed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReassembleMaxPending(t *testing.T) {
	s := NewSplitter(Options{})
	r := NewReassembler(ReassemblerOptions{MaxPending: 2})
	var first [][]Part
	for i := range 3 {
		p := partsOf(t, s, fmt.Sprintf("1380013800%d", i), strings.Repeat("满", 80))
		first = append(first, p)
		feed(t, r, t0.Add(time.Duration(i)*time.Second), p, 1)
	}
	if st := r.Stats(); st.Pending != 2 || st.Evicted != 1 {
		t.Fatalf("stats %+v", st)
	}
	// The oldest set (sender 0) was evicted; the others still complete.
	if got := feed(t, r, t0, first[0], 2); len(got) != 0 {
		t.Fatal("evicted set completed")
	}
	if got := feed(t, r, t0, first[2], 2); len(got) != 1 {
		t.Fatal("newest set did not complete")
	}
}

func TestReassembleSingleAndOddParts(t *testing.T) {
	r := NewReassembler(ReassemblerOptions{})
	tests := []struct {
		name string
		part Part
		text string
		bin  bool
	}{
		{"plain GBK", Part{MsgFmt: FmtGBK, Content: []byte{0xc4, 0xe3}}, "你", false},
		{"UDHI 0x40 with port-only UDH", Part{MsgFmt: FmtASCII, UDHI: HasUDHI(0x40),
			Content: []byte{0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 'h', 'i'}}, "hi", false},
		{"concat 1/1", Part{MsgFmt: FmtUCS2, UDHI: true, Content: []byte{0x05, 0x00, 0x03, 0x09, 0x01, 0x01, 0x00, 0x41}}, "A", false},
		{"index beyond total is ignored (03.40)", Part{MsgFmt: FmtASCII, UDHI: true,
			Content: []byte{0x05, 0x00, 0x03, 0x09, 0x02, 0x03, 'x'}}, "x", false},
		{"binary", Part{MsgFmt: FmtBinary, Content: []byte{0xde, 0xad}}, "", true},
		{"empty content", Part{MsgFmt: FmtASCII}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := r.Add(t0, tc.part)
			if err != nil || a == nil {
				t.Fatalf("%+v %v", a, err)
			}
			if a.Text != tc.text || a.Binary != tc.bin || a.Segments != 1 {
				t.Fatalf("assembled %+v", a)
			}
			if tc.bin && string(a.Payload) != "\xde\xad" {
				t.Fatalf("payload % x", a.Payload)
			}
		})
	}
	if _, err := r.Add(t0, Part{UDHI: true, Content: []byte{0x05, 0x00, 0x03}}); !errors.Is(err, ErrUDHTruncated) {
		t.Fatalf("malformed UDH: %v", err)
	}
	if st := r.Stats(); st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReassembleWideAndItioUDH(t *testing.T) {
	// 16-bit reference in the standard form and in itio-codec-cmpp's
	// 06 00 04 form belong to the same set: the width comes from IEDL.
	r := NewReassembler(ReassemblerOptions{})
	p1 := Part{Sender: "1", Receiver: "2", MsgFmt: FmtUCS2, UDHI: true,
		Content: []byte{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 0x4e, 0x00, 0xd8, 0x3d}}
	p2 := Part{Sender: "1", Receiver: "2", MsgFmt: FmtUCS2, UDHI: true,
		Content: []byte{0x06, 0x00, 0x04, 0x12, 0x34, 0x02, 0x02, 0xde, 0x00}}
	if a, err := r.Add(t0, p2); a != nil || err != nil {
		t.Fatal(a, err)
	}
	a, err := r.Add(t0, p1)
	if err != nil || a == nil || a.Text != "一😀" || a.Reference != 0x1234 {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestReassembleBufferReuse(t *testing.T) {
	// The caller may reuse its read buffer after Add returns.
	r := NewReassembler(ReassemblerOptions{})
	buf := []byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 'a', 'b'}
	if _, err := r.Add(t0, Part{UDHI: true, Content: buf}); err != nil {
		t.Fatal(err)
	}
	copy(buf, []byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x02, 'c', 'd'})
	a, err := r.Add(t0, Part{UDHI: true, Content: buf})
	if err != nil || a == nil || a.Text != "abcd" {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestReassembleConcurrent(t *testing.T) {
	s := NewSplitter(Options{UDH16: true})
	r := NewReassembler(ReassemblerOptions{})
	const messages = 200
	texts := make(map[string]bool, messages)
	var all []Part
	for i := range messages {
		text := fmt.Sprintf("%03d:", i) + strings.Repeat("并发", 40+i%30) + "🎉"
		texts[text] = true
		all = append(all, partsOf(t, s, fmt.Sprintf("138%08d", i%7), text)...)
	}
	// Interleave: workers take parts round-robin, so segments of a message
	// are added from different goroutines.
	const workers = 4
	results := make(chan string, messages)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := len(all) - 1 - w; i >= 0; i -= workers {
				a, err := r.Add(t0, all[i])
				if err != nil {
					t.Error(err)
					return
				}
				if a != nil {
					results <- a.Text
				}
			}
		})
	}
	wg.Wait()
	close(results)
	n := 0
	for text := range results {
		if !texts[text] {
			t.Fatalf("unexpected or repeated text %q", text)
		}
		delete(texts, text)
		n++
	}
	if n != messages || r.Stats().Pending != 0 {
		t.Fatalf("%d messages completed, stats %+v", n, r.Stats())
	}
}

func TestPartKey(t *testing.T) {
	if PartKey("a|1:b", "c", 1, 2) == PartKey("a", "b|1:c", 1, 2) {
		t.Fatal("ambiguous keys")
	}
	if got := PartKey("13800138000", "1065800001", 90, 3); got != "11:13800138000|10:1065800001|90|3" {
		t.Fatalf("PartKey = %q", got)
	}
	info, payload, err := ParsePart(Part{Sender: "13800138000", Receiver: "1065800001", UDHI: true,
		Content: []byte{0x05, 0x00, 0x03, 0x5a, 0x03, 0x02, 'x'}})
	if err != nil || info.Single || info.Key != "11:13800138000|10:1065800001|90|3" ||
		info.Index != 2 || info.Total != 3 || string(payload) != "x" {
		t.Fatalf("ParsePart = %+v %q %v", info, payload, err)
	}
}
