package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// stdMarshal is what the bodies were before the hand-written encoder:
// encoding/json without HTML escaping, compact. The encoder must write the
// same bytes.
func stdMarshal(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

// trickyStrings are strings whose JSON encoding needs care.
var trickyStrings = []string{
	"", "plain", `quo"te`, `back\slash`, "<b>&amp;</b>", "new\nline\r\ttab\b\f",
	"\x00\x01\x1f\x7f", "中文短信 【签名】", "emoji 😀", "\u2028line\u2029para",
	"bad utf8 \xff\xfe end", "\xc3", "\xe2\x80", "trunc \xf0\x9f\x98", "\ufffd literal",
	"surrogate \xed\xa0\x80", "overlong \xc0\xaf", "</script>", strings.Repeat("a\"", 40),
}

// sampleStatus returns an sms.status event whose strings are s, with
// segments of every shape (no submit result, times or not).
func sampleStatus(s string) StatusEvent {
	r := uint32(8)
	at := Time{time.Date(2026, 11, 22, 2, 40, 0, 123456789, time.FixedZone("CST", 8*3600))}
	return StatusEvent{
		ID: "ev-" + s, Type: TypeStatus, CreatedAt: at,
		Data: StatusData{
			RequestID: s, ClientRef: s, Channel: s, Tenant: s, To: s, Status: s, ErrorCode: s,
			Segments: []SegmentData{
				{Number: 1, MsgID: s, SubmitResult: &r, Stat: s, SubmittedAt: &at, ReportedAt: &at, ErrorCode: s},
				{Number: -2, MsgID: "", Stat: ""},
			},
		},
	}
}

// sampleMO returns an sms.mo event whose strings are s.
func sampleMO(s string) MOEvent {
	at := Time{time.Date(1999, 1, 2, 3, 4, 5, 0, time.UTC)}
	return MOEvent{
		ID: s, Type: TypeMO, CreatedAt: at,
		Data: MOData{Channel: s, Tenant: s, From: s, To: s, Ext: s, Content: s, MsgFmt: 8, Segments: 3, LinkID: s, ReceivedAt: at},
	}
}

// checkSame fails when the hand-written bytes differ from encoding/json's
// or are not valid JSON.
func checkSame(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
	if !json.Valid(got) {
		t.Fatalf("%s: invalid JSON %q", what, got)
	}
}

// The hand-written encoder writes exactly what encoding/json wrote for
// the same events (so receivers and saved bodies see no change), for
// strings with quotes, HTML characters, control characters, non-ASCII,
// U+2028/9 and invalid UTF-8.
func TestJSONEncoderMatchesEncodingJSON(t *testing.T) {
	for _, s := range trickyStrings {
		checkSame(t, "string "+s, appendJSONString(nil, s), stdMarshal(t, s))
		st := sampleStatus(s)
		checkSame(t, "status "+s, appendStatusEvent(nil, &st), stdMarshal(t, st))
		st.Data.Segments = []SegmentData{}
		checkSame(t, "status, no segments "+s, appendStatusEvent(nil, &st), stdMarshal(t, st))
		st.Data.Segments = nil
		checkSame(t, "status, nil segments "+s, appendStatusEvent(nil, &st), stdMarshal(t, st))
		mo := sampleMO(s)
		checkSame(t, "mo "+s, appendMOEvent(nil, &mo), stdMarshal(t, mo))
	}
	for _, r := range []rune{0, 0x1f, 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xffff, 0x10000, 0x10ffff, 0x2027, 0x2028, 0x2029, 0x202a} {
		s := string(r)
		checkSame(t, "rune", appendJSONString(nil, s), stdMarshal(t, s))
	}
	for b := range 256 {
		s := string([]byte{'x', byte(b), 'y'})
		checkSame(t, "byte", appendJSONString(nil, s), stdMarshal(t, s))
	}
}

// Round trip: a decoded body gives back the event it was written from
// (valid JSON, every field in place).
func TestJSONEncoderRoundTrip(t *testing.T) {
	st := sampleStatus("héllo \"x\" <y>")
	var back StatusEvent
	if err := json.Unmarshal(appendStatusEvent(nil, &st), &back); err != nil {
		t.Fatal(err)
	}
	if back.Data.Segments[0].SubmittedAt.UnixMilli() != st.Data.Segments[0].SubmittedAt.UnixMilli() ||
		back.Data.ClientRef != st.Data.ClientRef || *back.Data.Segments[0].SubmitResult != 8 {
		t.Fatalf("round trip: %+v", back)
	}
}

// FuzzJSONEncoder checks the hand-written encoder against encoding/json on
// arbitrary strings and numbers.
func FuzzJSONEncoder(f *testing.F) {
	for i, s := range trickyStrings {
		f.Add(s, i, uint32(i), int64(i)*1e15)
	}
	f.Fuzz(func(t *testing.T, s string, n int, result uint32, nanos int64) {
		checkSame(t, "string", appendJSONString(nil, s), stdMarshal(t, s))
		st := sampleStatus(s)
		st.CreatedAt = Time{time.Unix(0, nanos)}
		st.Data.Segments[0].Number, st.Data.Segments[0].SubmitResult = n, &result
		checkSame(t, "status", appendStatusEvent(nil, &st), stdMarshal(t, st))
		mo := sampleMO(s)
		mo.Data.MsgFmt, mo.Data.Segments = n, -n
		checkSame(t, "mo", appendMOEvent(nil, &mo), stdMarshal(t, mo))
	})
}

// BenchmarkRenderStatus measures rendering one sms.status body with two
// segments.
func BenchmarkRenderStatus(b *testing.B) {
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		st := sampleStatus("13800138000")
		for b.Loop() {
			appendStatusEvent(make([]byte, 0, bodySizeHint), &st)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		st := sampleStatus("13800138000")
		for b.Loop() {
			stdMarshal(b, st)
		}
	})
}
