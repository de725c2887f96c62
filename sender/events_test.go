package sender

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// hookCalls records the calls of Deps.EventsCreated.
type hookCalls struct {
	mu       sync.Mutex
	channels []string
}

func (h *hookCalls) record(channel string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.channels = append(h.channels, channel)
}

func (h *hookCalls) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.channels)
}

// Deps.EventsCreated is called with the channel name when status reports
// made recipients final (sms.status events) and when an MO message was
// stored (sms.mo event).
func TestChannelCallsEventsCreated(t *testing.T) {
	var h hookCalls
	r := newRigWith(t, rigOptions{deps: func(d *Deps) { d.EventsCreated = h.record }})
	req := store.NewRequest{
		ID: "req-ev", Tenant: "t", Channel: "default", MsgFmt: 8, CallbackURL: "http://hooks.invalid/status",
		Recipients: []string{"13800130001", "13800130002"},
		Segments:   []store.Segment{{Content: []byte{0x4f, 0x60}}},
	}
	if err := r.st.CreateRequest(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	r.ch.Notify()
	testenv.WaitFor(t, 10*time.Second, "request delivered", func() bool {
		return r.status(t, "req-ev").Status == store.RequestDelivered
	})
	// The hook runs after the report batch returns, so it may trail the
	// stored state by a moment.
	testenv.WaitFor(t, 10*time.Second, "EventsCreated after the reports created sms.status events",
		func() bool { return h.count() > 0 })
	evs, err := r.st.LeaseEvents(context.Background(), "default", 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("leased %d events (%v), want 2 sms.status", len(evs), err)
	}

	before := h.count()
	if err := r.sim.InjectMO(context.Background(), ismgsim.MO{SPID: testSP, From: "13900000001", To: testSrc, Text: "TD"}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "EventsCreated after the MO", func() bool { return h.count() > before })
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.channels {
		if ch != "default" {
			t.Errorf("EventsCreated called with channel %q, want %q", ch, "default")
		}
	}
}
