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

// The channel does not recover expired leases (the maintainer does, once
// per process): a job whose lease expired before the channel started stays
// leased while the channel runs and sends other work.
func TestChannelDoesNotRecoverLeases(t *testing.T) {
	ctx := context.Background()
	lost := store.MakeJobID("lost", 1, 1)
	r := newRigWith(t, rigOptions{channel: func(c *Channel) {
		st := c.deps.Store
		if err := st.CreateRequest(ctx, store.NewRequest{
			ID: "lost", Tenant: "t", Channel: "default", MsgFmt: 8,
			Recipients: []string{"13800139999"}, Segments: []store.Segment{{Content: []byte("a")}},
		}); err != nil {
			t.Fatal(err)
		}
		dying := store.New(st.Client(), store.Options{Prefix: st.Options().Prefix, LeaseTTL: time.Millisecond})
		if jobs, err := dying.Lease(ctx, "default", "dying", 10); err != nil || len(jobs) != 1 {
			t.Fatalf("lease by the dying worker: %+v %v", jobs, err)
		}
		testenv.WaitFor(t, 10*time.Second, "lease expired", func() bool {
			dl, err := st.Client().ZScore(ctx, st.Keys().Lease("default"), string(lost)).Result()
			return err == nil && int64(dl) < time.Now().UnixMilli()
		})
	}})
	r.enqueue(t, "other", 1, []byte("b"))
	testenv.WaitFor(t, 10*time.Second, "the other request delivered", func() bool {
		return r.status(t, "other").Status == store.RequestDelivered
	})
	if st := r.status(t, "lost").Recipients[0].Segments[0]; st.State != store.JobLeased || st.LeaseOwner != "dying" {
		t.Fatalf("the expired lease was recovered by the channel: %+v", st)
	}
	if n := len(r.sim.Received()); n != 1 {
		t.Fatalf("simulator received %d SUBMITs, want 1", n)
	}
}
