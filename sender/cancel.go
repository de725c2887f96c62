package sender

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/smsbridge/smsbridge/cmpp"
)

// ErrNoLink means no link of the channel is logged in.
var ErrNoLink = errors.New("sender: no link of the channel is logged in")

// CancelResult is the answer to one CMPP_CANCEL.
type CancelResult struct {
	// MsgID is the Msg_Id cancelled (22-digit text).
	MsgID string
	// Cancelled is true when the ISMG answered Success_Id 0; false with a
	// nil Err when it answered another Success_Id (refused: e.g. already
	// delivered or unknown to the ISMG).
	Cancelled bool
	// Err is set when no answer came (link down, timeout, bad Msg_Id).
	Err error
}

// Cancel sends CMPP_CANCEL for each Msg_Id over a logged-in link and
// returns one result per id, in order. At most a window's worth of CANCELs
// is in flight at once (one goroutine each), however many ids there are:
// a request can have 255 000 segments.
func (c *Channel) Cancel(ctx context.Context, msgIDs []string) ([]CancelResult, error) {
	link := c.readyLink()
	if link == nil {
		return nil, ErrNoLink
	}
	out := make([]CancelResult, len(msgIDs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(c.set.Link.Window, len(msgIDs)) {
		wg.Go(func() {
			for i := range next {
				out[i] = cancelOne(ctx, link, msgIDs[i])
			}
		})
	}
	for i := range msgIDs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, nil
}

// cancelOne sends one CMPP_CANCEL. A CANCEL_RESP with Success_Id ≠ 0 is an
// answer (not cancelled), not an error.
func cancelOne(ctx context.Context, link *cmpp.Link, s string) CancelResult {
	r := CancelResult{MsgID: s}
	id, err := cmpp.ParseMsgID(s)
	if err != nil {
		r.Err = fmt.Errorf("sender: Msg_Id %q: %w", s, err)
		return r
	}
	resp, err := link.Cancel(ctx, id)
	var rerr *cmpp.ResultError
	switch {
	case err == nil:
		r.Cancelled = resp.SuccessID == 0
	case errors.As(err, &rerr) && rerr.Command == cmpp.CmdCancelResp:
		// answered: not cancelled
	default:
		r.Err = err
	}
	return r
}
