package content

import (
	"strings"
	"testing"
)

// BenchmarkSplitUCS2Long splits a 600-character Chinese text with emoji
// (660 UTF-16 units: 10 segments) under the default options.
func BenchmarkSplitUCS2Long(b *testing.B) {
	text := strings.Repeat("长短信拆分性能测试😀", 60)
	s := NewSplitter(Options{})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := s.Split(text)
		if err != nil || len(m.Segments) != 10 {
			b.Fatal(len(m.Segments), err)
		}
	}
}

// BenchmarkSplitASCII splits a 300-character ASCII text (3 segments).
func BenchmarkSplitASCII(b *testing.B) {
	text := strings.Repeat("Your code is 123456. ", 15)[:300]
	s := NewSplitter(Options{})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := s.Split(text)
		if err != nil || len(m.Segments) != 3 {
			b.Fatal(len(m.Segments), err)
		}
	}
}

// BenchmarkSplitGBKLong splits a 300-character Chinese text as GBK.
func BenchmarkSplitGBKLong(b *testing.B) {
	text := strings.Repeat("中文短信测试", 50)
	s := NewSplitter(Options{Encoding: EncodingGBK})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Split(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanUCS2Long counts the segments of the BenchmarkSplitUCS2Long
// text without building them.
func BenchmarkPlanUCS2Long(b *testing.B) {
	text := strings.Repeat("长短信拆分性能测试😀", 60)
	s := NewSplitter(Options{})
	b.ReportAllocs()
	for b.Loop() {
		if p, err := s.Plan(text); err != nil || p.Segments != 10 {
			b.Fatal(p, err)
		}
	}
}

// BenchmarkReassemble3 adds the three segments of a UCS2 message.
func BenchmarkReassemble3(b *testing.B) {
	s := NewSplitter(Options{})
	m, err := s.Split(strings.Repeat("长短信重组", 36))
	if err != nil || len(m.Segments) != 3 {
		b.Fatal(err)
	}
	r := NewReassembler(ReassemblerOptions{})
	b.ReportAllocs()
	for b.Loop() {
		var done *Assembled
		for _, seg := range m.Segments {
			a, err := r.Add(t0, Part{Sender: "13800138000", Receiver: "1065800001", MsgFmt: m.MsgFmt, UDHI: true, Content: seg.Content})
			if err != nil {
				b.Fatal(err)
			}
			if a != nil {
				done = a
			}
		}
		if done == nil {
			b.Fatal("not completed")
		}
	}
}
