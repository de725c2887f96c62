package store

import (
	"fmt"
	"strconv"
	"strings"
)

// JobID names one job: segment s (1-based) of recipient r (1-based) of a
// request, written "<request id>:<r>:<s>". The request id may itself
// contain ':'; the last two fields are the indexes.
type JobID string

// MakeJobID returns the JobID of (request, recipient r, segment s).
func MakeJobID(requestID string, r, s int) JobID {
	return JobID(requestID + ":" + strconv.Itoa(r) + ":" + strconv.Itoa(s))
}

// Split returns the request id and the 1-based recipient and segment
// indexes of j.
func (j JobID) Split() (requestID string, r, s int, err error) {
	str := string(j)
	i := strings.LastIndexByte(str, ':')
	if i <= 0 {
		return "", 0, 0, fmt.Errorf("%w: job id %q", ErrInvalid, str)
	}
	h := strings.LastIndexByte(str[:i], ':')
	if h <= 0 {
		return "", 0, 0, fmt.Errorf("%w: job id %q", ErrInvalid, str)
	}
	r, err1 := strconv.Atoi(str[h+1 : i])
	s, err2 := strconv.Atoi(str[i+1:])
	if err1 != nil || err2 != nil || r < 1 || s < 1 {
		return "", 0, 0, fmt.Errorf("%w: job id %q", ErrInvalid, str)
	}
	return str[:h], r, s, nil
}

// JobState is the state of one job (one segment to one recipient).
type JobState string

// Job states. Delivered, Failed, Unknown and Cancelled are final.
const (
	// JobQueued: waiting in the channel queue.
	JobQueued JobState = "queued"
	// JobLeased: taken by a sender, SUBMIT in progress.
	JobLeased JobState = "leased"
	// JobScheduled: waiting for a delayed retry (Result 8, link loss).
	JobScheduled JobState = "scheduled"
	// JobSubmitted: SUBMIT_RESP Result 0 received, waiting for the report.
	JobSubmitted JobState = "submitted"
	// JobDelivered: report DELIVRD.
	JobDelivered JobState = "delivered"
	// JobFailed: SUBMIT_RESP Result ≠ 0, or a report other than DELIVRD
	// and ACCEPTD.
	JobFailed JobState = "failed"
	// JobUnknown: no SUBMIT_RESP after all tries, no report within
	// ReportWait, or its lease recovered more than MaxRecoveries times.
	JobUnknown JobState = "unknown"
	// JobCancelled: removed before being sent, or CMPP_CANCEL succeeded.
	JobCancelled JobState = "cancelled"
	// JobMoved: the job's recipient was handed to another channel (a part
	// of the request, see MoveUnsent); GetRequest shows it there instead.
	JobMoved JobState = "moved"
)

// Final reports whether st is a final state.
func (st JobState) Final() bool {
	switch st {
	case JobDelivered, JobFailed, JobUnknown, JobCancelled:
		return true
	}
	return false
}

// RecipientStatus is the rolled-up status of one recipient.
type RecipientStatus string

// Recipient statuses. Delivered, Failed, Unknown and Cancelled are final.
const (
	// RecipientQueued: no segment leased yet.
	RecipientQueued RecipientStatus = "queued"
	// RecipientSending: some segment leased or submitted, not all.
	RecipientSending RecipientStatus = "sending"
	// RecipientSubmitted: every segment submitted (or final), waiting for
	// reports.
	RecipientSubmitted RecipientStatus = "submitted"
	// RecipientDelivered: every segment DELIVRD.
	RecipientDelivered RecipientStatus = "delivered"
	// RecipientFailed: some segment failed; ErrorCode is the one of the
	// lowest-numbered failed segment.
	RecipientFailed RecipientStatus = "failed"
	// RecipientUnknown: some segment unknown, none failed.
	RecipientUnknown RecipientStatus = "unknown"
	// RecipientCancelled: some segment cancelled, none failed or unknown.
	RecipientCancelled RecipientStatus = "cancelled"
)

// Final reports whether st is final.
func (st RecipientStatus) Final() bool {
	switch st {
	case RecipientDelivered, RecipientFailed, RecipientUnknown, RecipientCancelled:
		return true
	}
	return false
}

// RequestStatus is the rolled-up status of a request.
type RequestStatus string

// Request statuses. Delivered, PartiallyDelivered, Failed and Cancelled are
// final.
const (
	// RequestQueued: nothing leased yet.
	RequestQueued RequestStatus = "queued"
	// RequestSending: some jobs leased or submitted, not all submitted.
	RequestSending RequestStatus = "sending"
	// RequestSubmitted: every job submitted (or final), waiting for reports.
	RequestSubmitted RequestStatus = "submitted"
	// RequestDelivered: every recipient delivered.
	RequestDelivered RequestStatus = "delivered"
	// RequestPartiallyDelivered: every recipient final, some delivered,
	// some not.
	RequestPartiallyDelivered RequestStatus = "partially_delivered"
	// RequestFailed: every recipient final, none delivered, not all
	// cancelled.
	RequestFailed RequestStatus = "failed"
	// RequestCancelled: every recipient cancelled.
	RequestCancelled RequestStatus = "cancelled"
)

// Final reports whether st is final.
func (st RequestStatus) Final() bool {
	switch st {
	case RequestDelivered, RequestPartiallyDelivered, RequestFailed, RequestCancelled:
		return true
	}
	return false
}

// Error codes the store itself records (others come from the caller, e.g.
// a report Stat such as "UNDELIV").
const (
	// ErrCodeReportTimeout: no status report within ReportWait.
	ErrCodeReportTimeout = "report_timeout"
	// ErrCodeCancelled: the job was cancelled.
	ErrCodeCancelled = "cancelled"
	// ErrCodeNoResponse: default code of SubmitOutcome.Unknown.
	ErrCodeNoResponse = "no_submit_resp"
	// ErrCodeWorkerLost: the job's lease expired (its worker died or
	// stalled without a heartbeat) more than MaxRecoveries times; the job
	// is unknown (it may have been sent).
	ErrCodeWorkerLost = "worker_lost"
	// ErrCodeMsgIDCollision: the SUBMIT was accepted (Result 0) but the
	// ISMG answered a Msg_Id already mapped to another segment that still
	// waits for its report. The first mapping is kept, so no report can be
	// matched to this segment: it is final 'unknown' at once.
	ErrCodeMsgIDCollision = "msg_id_collision"
)

// SubmitResultCode is the default error code of a SUBMIT_RESP Result ≠ 0:
// "submit_result_<n>".
func SubmitResultCode(result uint32) string {
	return "submit_result_" + strconv.FormatUint(uint64(result), 10)
}
