package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// Request is the stored state of a request, rolled up.
type Request struct {
	// ID, Tenant, Channel, CallbackURL and ClientRef are as created.
	ID, Tenant, Channel, CallbackURL, ClientRef string
	// MsgFmt and SrcExt are as created.
	MsgFmt uint8
	SrcExt string
	// CMPP is set for a request submitted over a customer's CMPP link
	// (Account, MsgID, SrcID, ServiceID, Report as created).
	CMPP *CMPPOrigin
	// CreatedAt is the creation time.
	CreatedAt time.Time
	// StartedAt is when the first job was leased (zero before).
	StartedAt time.Time
	// FinishedAt is when every recipient became final (zero before).
	FinishedAt time.Time
	// CancelledAt is when CancelRequest was called (zero if never).
	CancelledAt time.Time
	// Status is the request status (see RequestStatus).
	Status RequestStatus
	// Counts are per-recipient and per-job tallies.
	Counts Counts
	// Recipients are in request order; Recipients[i].Index == i+1.
	Recipients []Recipient
}

// Counts tallies a request.
type Counts struct {
	// Recipients and Segments are R and S; Jobs is R×S.
	Recipients, Segments, Jobs int
	// Recipients by rolled-up status.
	Delivered, Failed, Unknown, Cancelled, Pending int
	// Jobs by state.
	JobsByState map[JobState]int
}

// count tallies one recipient of status st.
func (c *Counts) count(st RecipientStatus) {
	switch st {
	case RecipientDelivered:
		c.Delivered++
	case RecipientFailed:
		c.Failed++
	case RecipientUnknown:
		c.Unknown++
	case RecipientCancelled:
		c.Cancelled++
	default:
		c.Pending++
	}
}

// Recipient is one destination of a request.
type Recipient struct {
	// Index is 1-based.
	Index int
	// Number is the destination number.
	Number string
	// Status is the rolled-up status.
	Status RecipientStatus
	// ErrorCode explains a failed/unknown/cancelled status.
	ErrorCode string
	// Segments are in order; Segments[i].Index == i+1 (Pk_number).
	Segments []SegmentState
	// Channel is the channel the recipient's segments go out on (a request
	// routed by carrier may use several: see NewRequest.RecipientChannels).
	Channel string
}

// SegmentState is the state of one job (one segment to one recipient).
type SegmentState struct {
	// Index is the 1-based segment number (Pk_number).
	Index int
	// State is the job state.
	State JobState
	// MsgID is the ISMG Msg_Id (22-digit text), once submitted.
	MsgID string
	// SubmitResult is the SUBMIT_RESP Result; valid when HasSubmitResult.
	SubmitResult    uint32
	HasSubmitResult bool
	// Stat is the last report Stat (DELIVRD, UNDELIV, ACCEPTD, …).
	Stat string
	// DoneTime is the report's Done_time (YYMMDDHHMM), as received.
	DoneTime string
	// SubmittedAt and ReportedAt are when the SUBMIT outcome and the last
	// report were recorded.
	SubmittedAt, ReportedAt time.Time
	// ErrorCode explains a failed, unknown, cancelled or retried job.
	ErrorCode string
	// Attempts is how many times the job was leased.
	Attempts int
	// LeaseOwner is the sender holding the lease (state leased only).
	LeaseOwner string
	// Channel is the channel the job goes out on.
	Channel string
}

// ChannelOf returns the channel of request id from the request index.
func (s *Store) ChannelOf(ctx context.Context, id string) (string, error) {
	ch, err := s.rdb.Get(ctx, s.keys.RequestIndex(id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("%w: request %s", ErrNotFound, id)
	}
	if err != nil {
		return "", fmt.Errorf("store: get request index: %w", err)
	}
	return ch, nil
}

// GetRequest returns the full state of request id, or ErrNotFound.
func (s *Store) GetRequest(ctx context.Context, id string) (*Request, error) {
	ch, err := s.ChannelOf(ctx, id)
	if err != nil {
		return nil, err
	}
	h, err := s.rdb.HGetAll(ctx, s.keys.Request(ch, id)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: get request: %w", err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("%w: request %s", ErrNotFound, id)
	}
	if hasParts(h) {
		return s.getMerged(ctx, ch, id, h)
	}
	return decodeRequest(id, h)
}

// decodeRequest builds a Request from its hash.
func decodeRequest(id string, h map[string]string) (*Request, error) {
	R, err1 := strconv.Atoi(h[schema.FieldRecipients])
	S, err2 := strconv.Atoi(h[schema.FieldSegments])
	if err1 != nil || err2 != nil || R < 1 || S < 1 {
		return nil, fmt.Errorf("%w: request %s: bad R/S %q/%q", ErrBadReply, id,
			h[schema.FieldRecipients], h[schema.FieldSegments])
	}
	fmtV, _ := strconv.Atoi(h[schema.FieldMsgFmt])
	req := &Request{
		ID: id, Tenant: h[schema.FieldTenant], Channel: h[schema.FieldChannel], CallbackURL: h[schema.FieldCallback],
		ClientRef: h[schema.FieldClientRef], MsgFmt: uint8(fmtV), SrcExt: h[schema.FieldSrcExt],
		CreatedAt: fromMS(h[schema.FieldCreatedAt]), StartedAt: fromMS(h[schema.FieldStartedAt]),
		FinishedAt: fromMS(h[schema.FieldFinishedAt]), CancelledAt: fromMS(h[schema.FieldCancelledAt]),
		Recipients: make([]Recipient, R),
	}
	if cm, ok := h[schema.FieldOrigin]; ok {
		o, err := decodeOrigin(cm)
		if err != nil {
			return nil, fmt.Errorf("request %s: %w", id, err)
		}
		req.CMPP = o
	}
	c := &req.Counts
	c.Recipients, c.Segments, c.Jobs = R, S, R*S
	c.JobsByState = make(map[JobState]int, 8)
	for r := 1; r <= R; r++ {
		rc := &req.Recipients[r-1]
		rc.Index = r
		rc.Number = h[recipientField(schema.FieldTo, r)]
		rc.Segments = make([]SegmentState, S)
		rc.Channel = req.Channel
		var leasedOrDone, submitted int
		for sg := 1; sg <= S; sg++ {
			st := decodeJob(h[jobField(r, sg)])
			st.Index = sg
			st.Channel = req.Channel
			rc.Segments[sg-1] = st
			c.JobsByState[st.State]++
			if st.State != JobQueued {
				leasedOrDone++
			}
			if st.State != JobQueued && st.State != JobLeased && st.State != JobScheduled {
				submitted++
			}
		}
		if rs, ok := h[recipientField(schema.FieldRecipientDone, r)]; ok {
			status, code, _ := strings.Cut(rs, "|")
			rc.Status, rc.ErrorCode = RecipientStatus(status), code
		} else {
			switch {
			case submitted == S:
				rc.Status = RecipientSubmitted
			case leasedOrDone > 0:
				rc.Status = RecipientSending
			default:
				rc.Status = RecipientQueued
			}
		}
		c.count(rc.Status)
	}
	nsub, _ := strconv.Atoi(h[schema.FieldSubmitOver])
	req.Status = requestStatus(c, nsub, h[schema.FieldStartedAt] != "")
	return req, nil
}

// requestStatus applies the rollup rules.
func requestStatus(c *Counts, nsub int, started bool) RequestStatus {
	if c.Pending == 0 {
		switch {
		case c.Cancelled == c.Recipients:
			return RequestCancelled
		case c.Delivered == c.Recipients:
			return RequestDelivered
		case c.Delivered > 0:
			return RequestPartiallyDelivered
		default:
			return RequestFailed
		}
	}
	switch {
	case nsub >= c.Jobs:
		return RequestSubmitted
	case started || nsub > 0:
		return RequestSending
	}
	return RequestQueued
}

// decodeJob parses the compact job encoding (see lua/lib.lua).
func decodeJob(v string) SegmentState {
	if v == "" {
		return SegmentState{State: JobQueued}
	}
	var f [jobFields]string
	for i := range f {
		var ok bool
		f[i], v, ok = strings.Cut(v, "|")
		if !ok {
			break
		}
	}
	return jobFromFields(f)
}

// jobFromFields builds a SegmentState (Index unset) from the fields of a
// job state.
func jobFromFields(f [jobFields]string) SegmentState {
	st := SegmentState{
		State: jobStateCodes[f[schema.JobState]], MsgID: f[schema.JobMsgID], Stat: f[schema.JobStat],
		SubmittedAt: fromMS(f[schema.JobSubmittedAt]), ReportedAt: fromMS(f[schema.JobReportedAt]),
		ErrorCode: f[schema.JobError], LeaseOwner: f[schema.JobOwner], DoneTime: f[schema.JobDoneTime],
	}
	if st.State == "" {
		st.State = JobState("invalid:" + f[schema.JobState])
	}
	st.Attempts, _ = strconv.Atoi(f[schema.JobAttempts])
	if v := f[schema.JobResult]; v != "" {
		if n, err := strconv.ParseUint(v, 10, 32); err == nil {
			st.SubmitResult, st.HasSubmitResult = uint32(n), true
		}
	}
	return st
}
