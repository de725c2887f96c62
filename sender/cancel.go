package sender

import (
	"context"
	"errors"
	"fmt"

	"github.com/smsbridge/smsbridge/cmpp"
)

// ErrNoLink means no link of the channel is logged in.
var ErrNoLink = errors.New("sender: no link of the channel is logged in")

// CancelResult is the answer to one CMPP_CANCEL.
type CancelResult struct {
	// MsgID is the Msg_Id cancelled (22-digit text).
	MsgID string
	// Cancelled is true when the ISMG answered Success_Id 0.
	Cancelled bool
	// Err is set when no answer came (link down, timeout, bad Msg_Id).
	Err error
}

// Cancel sends CMPP_CANCEL for each Msg_Id over a logged-in link, all in
// flight together, and returns one result per id, in order.
func (c *Channel) Cancel(ctx context.Context, msgIDs []string) ([]CancelResult, error) {
	link := c.readyLink()
	if link == nil {
		return nil, ErrNoLink
	}
	out := make([]CancelResult, len(msgIDs))
	done := make(chan struct{}, len(msgIDs))
	for i, s := range msgIDs {
		out[i].MsgID = s
		id, err := cmpp.ParseMsgID(s)
		if err != nil {
			out[i].Err = fmt.Errorf("sender: Msg_Id %q: %w", s, err)
			done <- struct{}{}
			continue
		}
		go func() {
			defer func() { done <- struct{}{} }()
			resp, err := link.Cancel(ctx, id)
			if err != nil {
				out[i].Err = err
				return
			}
			out[i].Cancelled = resp.SuccessID == 0
		}()
	}
	for range msgIDs {
		<-done
	}
	return out, nil
}
