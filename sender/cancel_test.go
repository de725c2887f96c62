package sender

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A CANCEL_RESP with Success_Id ≠ 0 is an answer (not cancelled), not an
// error; only a missing answer or a bad Msg_Id is.
func TestChannelCancelRefusedIsAnAnswer(t *testing.T) {
	r := newRig(t, ismgsim.Config{ReportDelay: time.Hour}, nil)
	r.enqueue(t, "cx", 1, []byte("a"))
	var msgID string
	testenv.WaitFor(t, 10*time.Second, "submitted", func() bool {
		msgID = r.status(t, "cx").Recipients[0].Segments[0].MsgID
		return msgID != ""
	})
	ids := []string{msgID, "not-a-msg-id"}
	for i := range 40 { // more than a window: CANCELs are bounded, not one goroutine each
		ids = append(ids, cmpp.MsgID(1000+i).String())
	}
	res, err := r.ch.Cancel(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(ids) {
		t.Fatalf("%d results for %d ids", len(res), len(ids))
	}
	if !res[0].Cancelled || res[0].Err != nil {
		t.Errorf("pending message: %+v, want cancelled", res[0])
	}
	if res[1].Err == nil {
		t.Errorf("bad Msg_Id: %+v, want an error", res[1])
	}
	for i, c := range res[2:] {
		if c.MsgID != ids[i+2] || c.Cancelled || c.Err != nil {
			t.Fatalf("unknown Msg_Id %d: %+v, want refused without error", i, c)
		}
	}
}
