package api

import (
	"encoding/json"
	"strconv"
)

// sendResponse is the 202 answer for request id made of v, and its JSON:
// the bytes json.Marshal gives for the SendResponse, written without
// reflection (POST /sms answers thousands of times a second).
func sendResponse(v *validated, id string) (SendResponse, []byte) {
	resp := SendResponse{
		ID: id, Status: "queued", Channel: v.channel,
		Recipients: len(v.to), SegmentsPerRecipient: len(v.msg.Segments),
		TotalSegments: len(v.to) * len(v.msg.Segments), ClientRef: v.clientRef,
	}
	return resp, appendSendResponse(make([]byte, 0, 160+len(id)+len(resp.Channel)+len(resp.ClientRef)), &resp)
}

// appendSendResponse appends r as json.Marshal encodes it (same field
// order, same string escapes) to b.
func appendSendResponse(b []byte, r *SendResponse) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, r.ID)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, r.Status)
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, r.Channel)
	b = append(b, `,"recipients":`...)
	b = strconv.AppendInt(b, int64(r.Recipients), 10)
	b = append(b, `,"segments_per_recipient":`...)
	b = strconv.AppendInt(b, int64(r.SegmentsPerRecipient), 10)
	b = append(b, `,"total_segments":`...)
	b = strconv.AppendInt(b, int64(r.TotalSegments), 10)
	b = append(b, `,"client_ref":`...)
	b = appendJSONString(b, r.ClientRef)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it. Printable ASCII that encoding/json leaves alone (everything
// but '"', '\\' and the HTML-escaped '<', '>', '&') is copied as is; any
// other string is encoded by encoding/json itself, so its escapes
// (control characters, U+2028, invalid UTF-8, …) cannot differ.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // cannot fail for a string
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
