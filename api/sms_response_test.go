package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/smsbridge/smsbridge/cmpp/content"
)

// The 202 body is written without reflection; it must be the bytes
// json.Marshal gives (clients and stored idempotency records see either).
func FuzzAppendSendResponse(f *testing.F) {
	for _, s := range []string{
		"", "bench", "order-42", `quote " and \ backslash`, "<script>&amp;</script>",
		"tab\tnew\nline\r", "\x00\x01\x1f\x7f", "\b\f", "中文 ref", "\u2028\u2029", "\xff\xfe invalid",
		"emoji 😀", "\xed\xa0\x80 surrogate", "~ ascii !#$%'()*+,-./:;=?@[]^_`{|}",
	} {
		f.Add(s, "cm1", 1, 1)
		f.Add("x", s, 1000, 9)
	}
	f.Fuzz(func(t *testing.T, clientRef, channel string, recipients, segments int) {
		r := SendResponse{ID: "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", Status: "queued", Channel: channel,
			Recipients: recipients, SegmentsPerRecipient: segments, TotalSegments: recipients * segments, ClientRef: clientRef}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendSendResponse(nil, &r); !bytes.Equal(got, want) {
			t.Fatalf("appendSendResponse\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkSendResponse measures the 202 body of a single-recipient
// request.
func BenchmarkSendResponse(b *testing.B) {
	v := &validated{channel: "cm1", clientRef: "bench", to: []string{"13800138000"}}
	v.msg.Segments = make([]content.Segment, 1)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = sendResponse(v, "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b")
	}
}
