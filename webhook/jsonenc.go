package webhook

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The webhook bodies are written by hand, without reflection: a body is
// rendered for every event, and encoding/json spent most of its time
// looking up struct fields. The bytes are exactly those encoding/json
// writes for the same value with SetEscapeHTML(false), compact (tested,
// and fuzzed, against it): receivers see no change, and a body rendered
// again for a retry is the same byte for byte.

// bodySizeHint is the usual size of a body: one allocation for most.
const bodySizeHint = 512

// hexDigits are the lower-case hex digits encoding/json uses in \u escapes.
const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does
// without HTML escaping: ", \ and control characters escaped (\b, \f, \n,
// \r, \t short, others as \u00XX), invalid UTF-8 bytes replaced by
// \ufffd, U+2028 and U+2029 escaped, everything else as is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONTime appends t as Time.MarshalJSON writes it.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timeLayout)
	return append(b, '"')
}

// appendOptTime appends t, or null when t is nil.
func appendOptTime(b []byte, t *Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendJSONTime(b, t.Time)
}

// appendEnvelope appends the fields before "data" and the "data" key.
func appendEnvelope(b []byte, id, typ string, createdAt time.Time) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"created_at":`...)
	b = appendJSONTime(b, createdAt)
	return append(b, `,"data":`...)
}

// appendStatusEvent appends v as JSON.
func appendStatusEvent(b []byte, v *StatusEvent) []byte {
	b = appendEnvelope(b, v.ID, v.Type, v.CreatedAt.Time)
	d := &v.Data
	b = append(b, `{"request_id":`...)
	b = appendJSONString(b, d.RequestID)
	b = append(b, `,"client_ref":`...)
	b = appendJSONString(b, d.ClientRef)
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, d.Channel)
	b = append(b, `,"tenant":`...)
	b = appendJSONString(b, d.Tenant)
	b = append(b, `,"to":`...)
	b = appendJSONString(b, d.To)
	b = append(b, `,"recipient":`...)
	b = strconv.AppendInt(b, int64(d.Recipient), 10)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, d.Status)
	b = append(b, `,"error_code":`...)
	b = appendJSONString(b, d.ErrorCode)
	b = append(b, `,"segments":`...)
	if d.Segments == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range d.Segments {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSegment(b, &d.Segments[i])
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}

// appendSegment appends s as JSON.
func appendSegment(b []byte, s *SegmentData) []byte {
	b = append(b, `{"number":`...)
	b = strconv.AppendInt(b, int64(s.Number), 10)
	b = append(b, `,"msg_id":`...)
	b = appendJSONString(b, s.MsgID)
	b = append(b, `,"submit_result":`...)
	if s.SubmitResult == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendUint(b, uint64(*s.SubmitResult), 10)
	}
	b = append(b, `,"stat":`...)
	b = appendJSONString(b, s.Stat)
	b = append(b, `,"submitted_at":`...)
	b = appendOptTime(b, s.SubmittedAt)
	b = append(b, `,"reported_at":`...)
	b = appendOptTime(b, s.ReportedAt)
	b = append(b, `,"error_code":`...)
	b = appendJSONString(b, s.ErrorCode)
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, s.Channel)
	return append(b, '}')
}

// appendMOEvent appends v as JSON.
func appendMOEvent(b []byte, v *MOEvent) []byte {
	b = appendEnvelope(b, v.ID, v.Type, v.CreatedAt.Time)
	d := &v.Data
	b = append(b, `{"channel":`...)
	b = appendJSONString(b, d.Channel)
	b = append(b, `,"tenant":`...)
	b = appendJSONString(b, d.Tenant)
	b = append(b, `,"from":`...)
	b = appendJSONString(b, d.From)
	b = append(b, `,"to":`...)
	b = appendJSONString(b, d.To)
	b = append(b, `,"ext":`...)
	b = appendJSONString(b, d.Ext)
	b = append(b, `,"content":`...)
	b = appendJSONString(b, d.Content)
	b = append(b, `,"msg_fmt":`...)
	b = strconv.AppendInt(b, int64(d.MsgFmt), 10)
	b = append(b, `,"segments":`...)
	b = strconv.AppendInt(b, int64(d.Segments), 10)
	b = append(b, `,"link_id":`...)
	b = appendJSONString(b, d.LinkID)
	b = append(b, `,"received_at":`...)
	b = appendJSONTime(b, d.ReceivedAt.Time)
	return append(b, "}}"...)
}
