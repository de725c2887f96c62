package sender

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// The channel signals Deps.Wake.EventsReady for its channel when status
// reports made recipients final (sms.status events) and when an MO message
// was stored (sms.mo event). Nothing else consumes the signal in this rig.
func TestChannelSignalsEventsReady(t *testing.T) {
	r := newRigWith(t, rigOptions{})
	signalled := func() bool { return testenv.Signalled(r.hub.Events("default")) }
	req := store.NewRequest{
		ID: "req-ev", Tenant: "t", Channel: "default", MsgFmt: 8, CallbackURL: "http://hooks.invalid/status",
		Recipients: []string{"13800130001", "13800130002"},
		Segments:   []store.Segment{{Content: []byte{0x4f, 0x60}}},
	}
	if err := r.st.CreateRequest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	r.hub.JobsQueued("default")
	testenv.WaitFor(t, 10*time.Second, "request delivered", func() bool {
		return r.status(t, "req-ev").Status == store.RequestDelivered
	})
	// The signal is sent after the report batch returns, so it may trail the
	// stored state by a moment.
	testenv.WaitFor(t, 10*time.Second, "EventsReady after the reports created sms.status events", signalled)
	evs, err := r.st.LeaseEvents(context.Background(), "default", 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("leased %d events (%v), want 2 sms.status", len(evs), err)
	}

	// The signal of a report batch is sent before its DELIVER_RESPs: once
	// both are acknowledged, a pending signal is a report's; consume it.
	testenv.WaitFor(t, 10*time.Second, "reports acknowledged", func() bool {
		return r.sim.Counts()[testSP].ReportsAcked == 2
	})
	signalled()
	if err := r.sim.InjectMO(context.Background(), ismgsim.MO{SPID: testSP, From: "13900000001", To: testSrc, Text: "TD"}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "EventsReady after the MO", signalled)
	evs, err = r.st.LeaseEvents(context.Background(), "default", 10)
	if err != nil || len(evs) != 1 || evs[0].Type != store.EventMO {
		t.Fatalf("leased %+v (%v), want 1 sms.mo", evs, err)
	}
}
