package content_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/content"
)

func ExampleSplitter_Split() {
	s := content.NewSplitter(content.Options{})
	// 66 Chinese characters, an emoji and 10 more: the emoji's surrogate
	// pair would straddle the 67-unit cut, so it moves to segment 2.
	m, err := s.Split(strings.Repeat("一", 66) + "😀" + strings.Repeat("二", 10))
	if err != nil {
		panic(err)
	}
	fmt.Println("Msg_Fmt", m.MsgFmt)
	for _, seg := range m.Segments {
		// The reference byte (rr) is random per Splitter.
		fmt.Printf("TP_udhi=%v Pk=%d/%d Msg_Length=%d UDH=% x rr % x\n",
			seg.UDHI, seg.PkNumber, seg.PkTotal, len(seg.Content), seg.Content[:3], seg.Content[4:6])
	}
	// Output:
	// Msg_Fmt 8
	// TP_udhi=true Pk=1/2 Msg_Length=138 UDH=05 00 03 rr 02 01
	// TP_udhi=true Pk=2/2 Msg_Length=30 UDH=05 00 03 rr 02 02
}

func ExampleReassembler_Add() {
	r := content.NewReassembler(content.ReassemblerOptions{})
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	// Two MO segments cut inside the surrogate pair of U+1F600, arriving
	// in reverse order.
	seg2 := content.Part{Sender: "13800138000", Receiver: "1065800001", MsgFmt: content.FmtUCS2, UDHI: true,
		Content: []byte{0x05, 0x00, 0x03, 0x5b, 0x02, 0x02, 0xde, 0x00}}
	seg1 := content.Part{Sender: "13800138000", Receiver: "1065800001", MsgFmt: content.FmtUCS2, UDHI: true,
		Content: []byte{0x05, 0x00, 0x03, 0x5b, 0x02, 0x01, 0x4f, 0x60, 0xd8, 0x3d}}
	for _, p := range []content.Part{seg2, seg1} {
		a, err := r.Add(now, p)
		if err != nil {
			panic(err)
		}
		if a != nil {
			fmt.Printf("%s from %s in %d segments\n", a.Text, a.Sender, a.Segments)
		}
	}
	// Output:
	// 你😀 from 13800138000 in 2 segments
}
