package sender

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// The lease heartbeat keeps running while a sweep is slow: a SUBMIT whose
// answer takes longer than LeaseTTL keeps its lease, so another replica's
// Recover does not send it again.
func TestChannelHeartbeatRunsDuringSlowSweep(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs after the rig's shutdown: the hook also ends with ctx
	r := newRigWith(t, rigOptions{
		leaseTTL: 600 * time.Millisecond,
		settings: func(s *Settings) { s.Link.ResponseTimeout = 10 * time.Second; s.Links = 1 },
		channel: func(c *Channel) {
			c.testHookSweep = func(ctx context.Context) {
				select { // the sweep is stuck (e.g. a large report-wait backlog)
				case <-release:
				case <-ctx.Done():
				}
			}
		},
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
