package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/webhook"
)

// StatusResponse is the body of GET /sms/{id}.
type StatusResponse struct {
	// ID is the request id: a UUID (POST /sms) or "cmpp-" + the 22-digit
	// Msg_Id of the SUBMIT_RESP (a SUBMIT over the CMPP server).
	ID string `json:"id"`
	// Ingress is how the request came in: IngressHTTP or IngressCMPP.
	Ingress string `json:"ingress"`
	// CMPP is set for a request submitted over a CMPP link.
	CMPP *SMSCMPP `json:"cmpp,omitempty"`
	// Status is queued, sending, submitted, delivered,
	// partially_delivered, failed or cancelled.
	Status string `json:"status"`
	// Channel is the channel used.
	Channel string `json:"channel"`
	// ClientRef echoes the request's client_ref.
	ClientRef string `json:"client_ref"`
	// CreatedAt is when the request was accepted.
	CreatedAt webhook.Time `json:"created_at"`
	// FinishedAt is when every recipient became final (absent before).
	FinishedAt *webhook.Time `json:"finished_at,omitempty"`
	// CancelledAt is when DELETE /sms/{id} was called (absent if never).
	CancelledAt *webhook.Time `json:"cancelled_at,omitempty"`
	// SegmentsPerRecipient is the number of segments of the text.
	SegmentsPerRecipient int `json:"segments_per_recipient"`
	// Counts tallies recipients by status.
	Counts StatusCounts `json:"counts"`
	// Recipients are in request order.
	Recipients []RecipientStatus `json:"recipients"`
}

// Ingress values of StatusResponse (also the ingress label of the
// accepted counters).
const (
	IngressHTTP = "http"
	IngressCMPP = "cmpp"
)

// SMSCMPP is where a request submitted over CMPP came from.
type SMSCMPP struct {
	// Account is the CMPP account (login Source_Addr) that submitted it.
	Account string `json:"account"`
	// MsgID is the Msg_Id smsbridge answered in SUBMIT_RESP (22 digits),
	// the one its report DELIVERs carry; recipient k (1-based) of a
	// SUBMIT to several numbers is reported with its sequence + k-1.
	MsgID string `json:"msg_id"`
}

// StatusCounts tallies the recipients of a request by rolled-up status.
type StatusCounts struct {
	// Recipients is the number of recipients.
	Recipients int `json:"recipients"`
	// Delivered, Failed, Unknown and Cancelled count final recipients.
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	Unknown   int `json:"unknown"`
	Cancelled int `json:"cancelled"`
	// Pending counts recipients not final yet.
	Pending int `json:"pending"`
}

// RecipientStatus is one recipient in StatusResponse.
type RecipientStatus struct {
	// To is the normalised number.
	To string `json:"to"`
	// Status is queued, sending, submitted, delivered, failed, unknown or
	// cancelled.
	Status string `json:"status"`
	// ErrorCode explains failed, unknown and cancelled (else "").
	ErrorCode string `json:"error_code"`
	// Channel is the channel the recipient's segments go out on (a
	// request routed by carrier may use several).
	Channel string `json:"channel"`
	// Segments are in order (number 1..n).
	Segments []SegmentStatus `json:"segments"`
}

// SegmentStatus is one segment (one SUBMIT) of one recipient.
type SegmentStatus struct {
	// Number is Pk_number (1-based).
	Number int `json:"number"`
	// Status is the job state: queued, leased, scheduled, submitted,
	// delivered, failed, unknown or cancelled.
	Status string `json:"status"`
	// MsgID is the ISMG Msg_Id as 22 digits ("" before SUBMIT_RESP).
	MsgID string `json:"msg_id"`
	// SubmitResult is the SUBMIT_RESP Result (null before).
	SubmitResult *uint32 `json:"submit_result"`
	// Stat is the status report Stat, e.g. DELIVRD ("" before).
	Stat string `json:"stat"`
	// SubmittedAt and ReportedAt are null until they happen.
	SubmittedAt *webhook.Time `json:"submitted_at"`
	ReportedAt  *webhook.Time `json:"reported_at"`
	// ErrorCode explains a failed, unknown, cancelled or retried segment.
	ErrorCode string `json:"error_code"`
	// Attempts is how many times the segment was taken for sending.
	Attempts int `json:"attempts"`
	// Channel is the channel the segment goes out on.
	Channel string `json:"channel"`
}

// timePtr returns nil for the zero time, else t. Times are written like
// the webhook payloads: RFC 3339, UTC, milliseconds.
func timePtr(t time.Time) *webhook.Time {
	if t.IsZero() {
		return nil
	}
	return &webhook.Time{Time: t}
}

// statusResponse renders a stored request.
func statusResponse(r *store.Request) StatusResponse {
	out := StatusResponse{
		ID: r.ID, Status: string(r.Status), Channel: r.Channel, ClientRef: r.ClientRef,
		CreatedAt: webhook.Time{Time: r.CreatedAt}, FinishedAt: timePtr(r.FinishedAt), CancelledAt: timePtr(r.CancelledAt),
		SegmentsPerRecipient: r.Counts.Segments,
		Counts: StatusCounts{
			Recipients: r.Counts.Recipients, Delivered: r.Counts.Delivered, Failed: r.Counts.Failed,
			Unknown: r.Counts.Unknown, Cancelled: r.Counts.Cancelled, Pending: r.Counts.Pending,
		},
		Recipients: make([]RecipientStatus, len(r.Recipients)),
		Ingress:    IngressHTTP,
	}
	if r.CMPP != nil {
		out.Ingress = IngressCMPP
		out.CMPP = &SMSCMPP{Account: r.CMPP.Account, MsgID: r.CMPP.MsgID}
	}
	for i, rc := range r.Recipients {
		rs := RecipientStatus{To: rc.Number, Status: string(rc.Status), ErrorCode: rc.ErrorCode,
			Channel: rc.Channel, Segments: make([]SegmentStatus, len(rc.Segments))}
		for j, sg := range rc.Segments {
			ss := SegmentStatus{
				Number: sg.Index, Status: string(sg.State), MsgID: sg.MsgID, Stat: sg.Stat,
				SubmittedAt: timePtr(sg.SubmittedAt), ReportedAt: timePtr(sg.ReportedAt),
				ErrorCode: sg.ErrorCode, Attempts: sg.Attempts, Channel: sg.Channel,
			}
			if sg.HasSubmitResult {
				res := sg.SubmitResult
				ss.SubmitResult = &res
			}
			rs.Segments[j] = ss
		}
		out.Recipients[i] = rs
	}
	return out
}

// cmppIDPrefix starts the id of a request submitted over CMPP: "cmpp-"
// + the 22-digit Msg_Id of its SUBMIT_RESP (the cmppserver names them so).
const cmppIDPrefix = "cmpp-"

// validSMSID reports whether id has the form of the ids requests get: a
// lower-case canonical UUID (POST /sms) or cmppIDPrefix + a 22-digit
// Msg_Id whose fields fit their widths (CMPP SUBMIT); anything else
// cannot exist.
func validSMSID(id string) bool {
	if rest, ok := strings.CutPrefix(id, cmppIDPrefix); ok {
		m, err := cmpp.ParseMsgID(rest)
		return err == nil && m.String() == rest
	}
	u, err := uuid.Parse(id)
	return err == nil && len(id) == 36 && u.String() == id
}

// loadOwn loads request id for the authenticated tenant. A request of
// another tenant answers exactly like a missing one (404 not_found), so a
// key never learns whether someone else's id exists.
func (s *Server) loadOwn(c *gin.Context) (*store.Request, bool) {
	id := c.Param("id")
	if !validSMSID(id) {
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no such request"))
		return nil, false
	}
	req, err := s.store.GetRequest(c.Request.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no such request"))
		return nil, false
	case err != nil:
		abortInternal(c, err)
		return nil, false
	case req.Tenant != tenantOf(c).Name:
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no such request"))
		return nil, false
	}
	l := logOf(c)
	l.smsID, l.channel = req.ID, req.Channel
	return req, true
}

// getSMS handles GET /sms/{id}.
func (s *Server) getSMS(c *gin.Context) {
	req, ok := s.loadOwn(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, statusResponse(req))
}
