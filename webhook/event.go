package webhook

import (
	"encoding/json"
	"time"
)

// Event types.
const (
	// TypeStatus is sent once per recipient when it reaches a final state.
	TypeStatus = "sms.status"
	// TypeMO is sent for every (reassembled) mobile-originated message.
	TypeMO = "sms.mo"
)

// Recipient statuses carried by sms.status events.
const (
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
	StatusUnknown   = "unknown"
	StatusCancelled = "cancelled"
)

// Event is the body of every webhook POST. The same bytes (and so the same
// ID) are sent on every attempt; receivers de-duplicate by ID, which is
// also in the X-Smsbridge-Event-Id header.
//
//	{"id": "…", "type": "sms.status", "created_at": "2026-11-22T02:40:00.123Z", "data": {…}}
type Event[T StatusData | MOData] struct {
	// ID identifies the event (the store's event id).
	ID string `json:"id"`
	// Type is TypeStatus or TypeMO.
	Type string `json:"type"`
	// CreatedAt is when the event was created (the recipient became final,
	// or the MO message was complete), RFC 3339 with milliseconds, UTC.
	CreatedAt Time `json:"created_at"`
	// Data is the payload of Type.
	Data T `json:"data"`
}

// StatusEvent is an sms.status event.
type StatusEvent = Event[StatusData]

// MOEvent is an sms.mo event.
type MOEvent = Event[MOData]

// StatusData is the payload of sms.status: the final state of one
// recipient of a request, with every segment's details.
type StatusData struct {
	// RequestID is the id POST /sms answered.
	RequestID string `json:"request_id"`
	// ClientRef is the caller's reference from POST /sms ("" if none).
	ClientRef string `json:"client_ref"`
	// Channel is the ISMG account the message went through.
	Channel string `json:"channel"`
	// Tenant owns the request.
	Tenant string `json:"tenant"`
	// To is the recipient number.
	To string `json:"to"`
	// Recipient is To's 1-based index in the request's recipients (the
	// same in every part of a request routed over several channels).
	Recipient int `json:"recipient"`
	// Status is delivered, failed, unknown or cancelled.
	Status string `json:"status"`
	// ErrorCode explains a status other than delivered (the report Stat,
	// "submit_result_<n>", "report_timeout", "no_submit_resp",
	// "worker_lost", "msg_id_collision", "cancelled"); "" when delivered.
	ErrorCode string `json:"error_code"`
	// Segments are in Pk_number order.
	Segments []SegmentData `json:"segments"`
}

// SegmentData is one segment (one CMPP SUBMIT) of an sms.status event.
type SegmentData struct {
	// Number is Pk_number, 1-based.
	Number int `json:"number"`
	// MsgID is the ISMG Msg_Id as 22 decimal digits ("" if never
	// submitted).
	MsgID string `json:"msg_id"`
	// SubmitResult is the SUBMIT_RESP Result, null without a response.
	SubmitResult *uint32 `json:"submit_result"`
	// Stat is the status report Stat (DELIVRD, UNDELIV, …), "" without a
	// report.
	Stat string `json:"stat"`
	// SubmittedAt is when the SUBMIT_RESP was recorded, null if never.
	SubmittedAt *Time `json:"submitted_at"`
	// ReportedAt is when the status report was recorded, null if none.
	ReportedAt *Time `json:"reported_at"`
	// ErrorCode explains a segment that did not reach DELIVRD ("" else).
	ErrorCode string `json:"error_code"`
	// Channel is the ISMG account the segment went out on.
	Channel string `json:"channel"`
}

// MOData is the payload of sms.mo: one complete mobile-originated message.
type MOData struct {
	// Channel is the ISMG account the message came in on.
	Channel string `json:"channel"`
	// Tenant is the tenant the message was routed to.
	Tenant string `json:"tenant"`
	// From is the sender's number (Src_terminal_Id).
	From string `json:"from"`
	// To is the full Dest_Id (service code plus extension).
	To string `json:"to"`
	// Ext is the part of Dest_Id after the channel's service code ("" if
	// none, or when the service code is not a prefix of Dest_Id).
	Ext string `json:"ext"`
	// Content is the decoded text. For binary formats (Msg_Fmt 3, 4, or
	// an 8-bit GSM data coding) it is the bytes in lower-case hex.
	Content string `json:"content"`
	// MsgFmt is the CMPP Msg_Fmt of the message.
	MsgFmt int `json:"msg_fmt"`
	// Segments is the number of DELIVER parts the message came in.
	Segments int `json:"segments"`
	// LinkID is the CMPP 3.0 LinkID ("" for 2.0 or when empty).
	LinkID string `json:"link_id"`
	// ReceivedAt is when the first part was received.
	ReceivedAt Time `json:"received_at"`
}

// Time is a timestamp written as RFC 3339 in UTC with milliseconds
// ("2026-11-22T02:40:00.123Z"); it reads any RFC 3339 time.
type Time struct{ time.Time }

// timeLayout is RFC 3339 with exactly three fractional digits.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON writes t as RFC 3339 in UTC with milliseconds.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(timeLayout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timeLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON reads an RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// Envelope is the part of every event that does not depend on its type;
// receivers can decode it first and pick the payload type from Type.
type Envelope struct {
	// ID identifies the event.
	ID string `json:"id"`
	// Type is TypeStatus or TypeMO.
	Type string `json:"type"`
	// CreatedAt is when the event was created.
	CreatedAt Time `json:"created_at"`
	// Data is the payload, to decode as StatusData or MOData.
	Data json.RawMessage `json:"data"`
}
