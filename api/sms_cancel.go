package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/store"
)

// CancelTimeout bounds the CMPP_CANCEL round trips of one DELETE.
const CancelTimeout = 30 * time.Second

// CancelResponse is the body of DELETE /sms/{id}.
type CancelResponse struct {
	// ID is the request id.
	ID string `json:"id"`
	// Status is the request status after the cancel.
	Status string `json:"status"`
	// CancelledQueued counts segments removed before being sent.
	CancelledQueued int `json:"cancelled_queued"`
	// InFlight counts segments being sent at that moment: they could not
	// be stopped; DELETE again once they are submitted.
	InFlight int `json:"in_flight"`
	// CancelResults has one entry per already submitted segment for which
	// CMPP_CANCEL was attempted.
	CancelResults []CancelResultItem `json:"cancel_results"`
}

// CancelResultItem is the CMPP_CANCEL outcome of one submitted segment.
type CancelResultItem struct {
	// MsgID is the segment's Msg_Id.
	MsgID string `json:"msg_id"`
	// Recipient is the number; Segment the 1-based Pk_number.
	Recipient string `json:"recipient"`
	Segment   int    `json:"segment"`
	// Success is true when the ISMG cancelled the segment.
	Success bool `json:"success"`
	// Error explains a failure ("" on success): "refused" when the ISMG
	// answered Success_Id 1 (e.g. already delivered), else the reason the
	// CANCEL got no answer.
	Error string `json:"error"`
}

// Cancel error strings in CancelResultItem.Error.
const (
	cancelRefused      = "refused"
	cancelNoCanceller  = "no_canceller"
	cancelNoOutcome    = "no_outcome"
	cancelStoreFailure = "not_recorded"
)

// cancelSMS handles DELETE /sms/{id}: queued segments are cancelled in the
// store; for submitted segments CMPP_CANCEL is sent through the Canceller
// and each answer is recorded. 409 already_final when nothing can change.
func (s *Server) cancelSMS(c *gin.Context) {
	req, ok := s.loadOwn(c)
	if !ok {
		return
	}
	if req.Status.Final() {
		abort(c, errorf(http.StatusConflict, CodeAlreadyFinal, "the request is already "+string(req.Status)))
		return
	}
	ctx := c.Request.Context()
	res, err := s.store.CancelRequest(ctx, req.ID)
	if errors.Is(err, store.ErrNotFound) {
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no such request"))
		return
	}
	if err != nil {
		abortInternal(c, err)
		return
	}
	out := CancelResponse{ID: req.ID, CancelledQueued: res.Cancelled, InFlight: res.InFlight,
		CancelResults: []CancelResultItem{}}
	// a request routed over several channels: each part's segments are
	// cancelled on their own channel
	for _, part := range append([]*store.CancelResult{res}, res.Parts...) {
		if len(part.Submitted) > 0 {
			items, err := s.cancelSubmitted(ctx, req, part)
			if err != nil {
				logOf(c).err = err
			}
			out.CancelResults = append(out.CancelResults, items...)
		}
	}
	after, err := s.store.GetRequest(ctx, req.ID)
	if err != nil {
		abortInternal(c, err)
		return
	}
	out.Status = string(after.Status)
	c.JSON(http.StatusOK, out)
}

// cancelSubmitted sends CMPP_CANCEL for the submitted segments and records
// the answers. Segments whose CANCEL could not be sent are reported as not
// cancelled and keep waiting for their status report.
func (s *Server) cancelSubmitted(ctx context.Context, req *store.Request, res *store.CancelResult) ([]CancelResultItem, error) {
	items := make([]CancelResultItem, len(res.Submitted))
	msgIDs := make([]string, len(res.Submitted))
	for i, tg := range res.Submitted {
		_, r, sg, _ := tg.Job.Split()
		if tg.Recipient > 0 {
			r = tg.Recipient // the public index (a part's job holds its own)
		}
		items[i] = CancelResultItem{MsgID: tg.MsgID, Segment: sg, Error: cancelNoOutcome}
		if r >= 1 && r <= len(req.Recipients) {
			items[i].Recipient = req.Recipients[r-1].Number
		}
		msgIDs[i] = tg.MsgID
	}
	if s.canceller == nil {
		for i := range items {
			items[i].Error = cancelNoCanceller
		}
		return items, nil
	}
	cctx, cancel := context.WithTimeout(ctx, CancelTimeout)
	defer cancel()
	outcomes, err := s.canceller.CancelSubmitted(cctx, res.Channel, msgIDs)
	if err != nil {
		for i := range items {
			items[i].Error = err.Error()
		}
		return items, err
	}
	byID := make(map[string]CancelOutcome, len(outcomes))
	for _, o := range outcomes {
		byID[o.MsgID] = o
	}
	var record []store.CancelOutcome
	for i, tg := range res.Submitted {
		o, ok := byID[tg.MsgID]
		if !ok {
			continue // reported as no_outcome; the job keeps waiting for its report
		}
		switch {
		case o.Err != nil:
			items[i].Error = o.Err.Error()
			continue // nothing answered: the store is not told
		case o.Success:
			items[i].Success, items[i].Error = true, ""
		default:
			items[i].Error = cancelRefused
		}
		record = append(record, store.CancelOutcome{Job: tg.Job, MsgID: tg.MsgID, Cancelled: o.Success})
	}
	// Record even if the client went away: the ISMG has acted.
	rctx, rcancel := contextWithTimeout(5 * time.Second)
	defer rcancel()
	if _, err := s.store.RecordCancel(rctx, res.Channel, record); err != nil {
		for i := range items {
			if items[i].Success {
				items[i].Error = cancelStoreFailure
			}
		}
		return items, err
	}
	return items, nil
}
