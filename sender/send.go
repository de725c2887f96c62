package sender

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/backoff"
	"github.com/smsbridge/smsbridge/store"
)

// outcome is what a worker learned about one job: either a result to
// record (done) or a retry to schedule.
type outcome struct {
	done  *store.SubmitOutcome
	retry *store.RetryJob
	label string // metrics label: CMPP Result, "timeout" or "link_lost"
	// problem marks a problem Result of the channel (Deps.Health): not
	// accepted, retried.
	problem bool
	id      store.JobID
	lease   int // the job's attempts count: which lease of id this is (see inHand)
}

// send submits one job on link and classifies the result.
func (c *Channel) send(ctx context.Context, link *cmpp.Link, j store.Job) outcome {
	sub := c.submitFor(j)
	resp, err := link.Submit(ctx, sub)
	var rerr *cmpp.ResultError
	switch {
	case err == nil:
		c.flowAccepted(ctx)
		return outcome{id: j.ID, label: "0", done: &store.SubmitOutcome{Job: j.ID, MsgID: resp.MsgID.String()}}
	case errors.As(err, &rerr) && rerr.Retryable():
		// Result 8: the channel's shared rate is cut (flowRejected), so
		// the ISMG sees fewer SUBMITs; the segment waits a jittered
		// back-off and is sent again, and fails only once the storm has
		// lasted FlowControlTimeout.
		label := strconv.FormatUint(uint64(rerr.Result), 10)
		if c.flowRejected(ctx) {
			return outcome{id: j.ID, label: label, done: &store.SubmitOutcome{
				Job: j.ID, Result: rerr.Result, ErrorCode: "flow_control"}}
		}
		wait := backoff.Delay(c.set.FlowControlBackoff, c.set.FlowControlMaxBackoff, j.Attempts-1)
		return outcome{id: j.ID, label: label, retry: &store.RetryJob{
			ID: j.ID, At: time.Now().Add(wait), Reason: "flow_control"}}
	case errors.As(err, &rerr) && c.deps.Health != nil && c.deps.Health.ProblemResult(c.set.Name, rerr.Result):
		// A channel problem, not a bad number: the SUBMIT was refused,
		// so the segment is scheduled again (and failover may move it
		// to another channel). It fails only after LinkLossRetries
		// leases, so a channel that answers it forever does not hold
		// it forever.
		label := strconv.FormatUint(uint64(rerr.Result), 10)
		if j.Attempts > c.set.LinkLossRetries {
			return outcome{id: j.ID, label: label, done: &store.SubmitOutcome{Job: j.ID, Result: rerr.Result}}
		}
		wait := backoff.Delay(c.set.LinkLossBackoff, c.set.LinkLossMaxBackoff, j.Attempts-1)
		return outcome{id: j.ID, label: label, problem: true, retry: &store.RetryJob{
			ID: j.ID, At: time.Now().Add(wait), Reason: "channel_problem"}}
	case errors.As(err, &rerr):
		return outcome{id: j.ID, label: strconv.FormatUint(uint64(rerr.Result), 10),
			done: &store.SubmitOutcome{Job: j.ID, Result: rerr.Result}}
	case errors.Is(err, cmpp.ErrResponseTimeout):
		return outcome{id: j.ID, label: "timeout", done: &store.SubmitOutcome{Job: j.ID, Unknown: true}}
	case ctx.Err() != nil:
		// Our own shutdown ended the wait: give the job back at once.
		return outcome{id: j.ID, label: "link_lost", retry: &store.RetryJob{
			ID: j.ID, At: time.Now(), Reason: "shutdown"}}
	case errors.Is(err, cmpp.ErrLinkClosed):
		// Not sent, or sent and its answer lost with the link: send again
		// (at least once; the ISMG may have accepted the first copy),
		// backing off. A job that keeps losing its link — one whose SUBMIT
		// makes the ISMG drop the connection — becomes final 'unknown'
		// after LinkLossRetries leases instead of cutting links forever.
		if j.Attempts > c.set.LinkLossRetries {
			return outcome{id: j.ID, label: "link_lost", done: &store.SubmitOutcome{
				Job: j.ID, Unknown: true, ErrorCode: "link_lost"}}
		}
		wait := backoff.Delay(c.set.LinkLossBackoff, c.set.LinkLossMaxBackoff, j.Attempts-1)
		return outcome{id: j.ID, label: "link_lost", retry: &store.RetryJob{
			ID: j.ID, At: time.Now().Add(wait), Reason: "link_lost"}}
	default:
		// An encoding error: the job can never be sent.
		c.log.Error().Err(err).Str("job", string(j.ID)).Msg("SUBMIT could not be encoded")
		return outcome{id: j.ID, label: "invalid", done: &store.SubmitOutcome{
			Job: j.ID, Result: cmpp.ResultBadStructure, ErrorCode: "invalid_submit"}}
	}
}

// submitFor builds the SUBMIT of one job. Every segment asks for a report.
// Pk_total/Pk_number, ValId_Time and At_Time come from the job: for a
// request a customer submitted over CMPP they are the customer's own
// values (its segment is sent as it was split), otherwise the store's
// split and empty times.
func (c *Channel) submitFor(j store.Job) *cmpp.Submit {
	var udhi uint8
	if j.UDHI {
		udhi = 1
	}
	return &cmpp.Submit{
		PkTotal:            j.PkTotal,
		PkNumber:           j.PkNumber,
		RegisteredDelivery: 1,
		ServiceID:          c.set.ServiceID,
		FeeUserType:        c.set.FeeUserType,
		TPUDHI:             udhi,
		MsgFmt:             j.MsgFmt,
		MsgSrc:             c.set.MsgSrc,
		FeeType:            c.set.FeeType,
		FeeCode:            c.set.FeeCode,
		SrcID:              c.set.SrcID + j.SrcExt,
		DestTerminalIDs:    []string{j.Dest},
		ValidTime:          j.ValidTime,
		AtTime:             j.AtTime,
		MsgContent:         j.Content,
	}
}
