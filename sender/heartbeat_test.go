package sender

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// The lease heartbeat keeps a SUBMIT whose answer takes longer than
// LeaseTTL leased while another replica's recoverer runs all along, so the
// job is not sent again.
func TestChannelHeartbeatKeepsSlowSubmitLeased(t *testing.T) {
	r := newRigWith(t, rigOptions{
		leaseTTL: 600 * time.Millisecond,
		settings: func(s *Settings) { s.Link.ResponseTimeout = 10 * time.Second; s.Links = 1 },
	})
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: 2 * time.Second})
	r.enqueue(t, "slow", 1, []byte("a"))
	other := store.New(r.st.Client(), r.st.Options()) // another replica's recoverer
	testenv.WaitFor(t, 15*time.Second, "submitted", func() bool {
		if _, err := other.Recover(context.Background(), "default"); err != nil {
			t.Fatal(err)
		}
		return r.status(t, "slow").Recipients[0].Segments[0].MsgID != ""
	})
	if n := len(r.sim.Received()); n != 1 {
		t.Fatalf("simulator received %d SUBMITs, want 1: the lease expired while the SUBMIT was in flight", n)
	}
}
