package maintain

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	ch  = "cm1"
	ch2 = "cm2" // known to the hub, not maintained until a test adds it
)

// rig is a Maintainer on a real Redis, and a "dying" store on the same
// keys whose leases expire at once (a worker that takes work and dies).
type rig struct {
	env   *testenv.RedisEnv
	st    *store.Store // the maintainer's
	dying *store.Store
	hub   *wake.Hub
	m     *Maintainer
	ctx   context.Context
}

func newRig(t *testing.T, opts store.Options) *rig {
	t.Helper()
	env := testenv.Redis(t)
	opts.Prefix = env.Prefix
	r := &rig{
		env:   env,
		st:    store.New(env.Client, opts),
		dying: store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: time.Millisecond, EventLeaseTTL: time.Millisecond}),
		hub:   wake.New(ch, ch2),
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.ctx = ctx
	m, err := New(Config{Store: r.st, Wake: r.hub, Channels: []string{ch}, Interval: 10 * time.Millisecond,
		Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func (r *rig) create(t *testing.T, id string) {
	t.Helper()
	r.createOn(t, ch, id)
}

func (r *rig) createOn(t *testing.T, channel, id string) {
	t.Helper()
	err := r.st.CreateRequest(r.ctx, store.NewRequest{
		ID: id, Tenant: "acme", Channel: channel, MsgFmt: 8, CallbackURL: "http://127.0.0.1:9/hook",
		Recipients: []string{"13800138000"}, Segments: []store.Segment{{Content: []byte("hi")}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *rig) job(t *testing.T, id string) store.SegmentState {
	t.Helper()
	req, err := r.st.GetRequest(r.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return req.Recipients[0].Segments[0]
}

// The maintainer alone recovers both kinds of expired leases — jobs and
// events — and signals the sender and the dispatcher of this process.
func TestRecoversJobsAndEventsAndWakes(t *testing.T) {
	r := newRig(t, store.Options{})
	r.create(t, "j")
	if _, err := r.st.MOPart(r.ctx, ch, store.MOPart{DeliverMsgID: "0000000000000000000001", Src: "13800138000", Dest: "1069", Total: 1, Index: 1, Data: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	if jobs, err := r.dying.Lease(r.ctx, ch, "dying", 10); err != nil || len(jobs) != 1 {
		t.Fatalf("lease by the dying worker: %v %v", jobs, err)
	}
	if evs, err := r.dying.LeaseEvents(r.ctx, ch, 10); err != nil || len(evs) != 1 {
		t.Fatalf("event lease by the dying dispatcher: %v %v", evs, err)
	}
	var jobsWoken, eventsWoken bool
	testenv.WaitFor(t, 10*time.Second, "both recovered and signalled", func() bool {
		jobsWoken = jobsWoken || testenv.Signalled(r.hub.Jobs(ch))
		eventsWoken = eventsWoken || testenv.Signalled(r.hub.Events(ch))
		return jobsWoken && eventsWoken
	})
	if st := r.job(t, "j"); st.State != store.JobQueued || st.LeaseOwner != "" {
		t.Fatalf("job after recovery: %+v", st)
	}
	if q, err := r.st.QueueDepth(r.ctx, ch); err != nil || q.Pending != 1 || q.Leased != 0 || q.EventsReady != 1 || q.EventsLeased != 0 {
		t.Fatalf("depth after recovery: %+v %v", q, err)
	}
}

// A job whose every worker dies (its lease expires each time) is queued
// again MaxRecoveries times, then the maintainer makes it final 'unknown'
// with worker_lost, creates its sms.status event and signals the
// dispatcher. A job recovered fewer times is sent normally.
func TestEndsJobWhoseWorkersKeepDying(t *testing.T) {
	const maxRec = 3
	r := newRig(t, store.Options{MaxRecoveries: maxRec})

	// Recovered once, then leased by a healthy worker and submitted.
	r.create(t, "once")
	if jobs, err := r.dying.Lease(r.ctx, ch, "dying", 10); err != nil || len(jobs) != 1 {
		t.Fatalf("lease: %v %v", jobs, err)
	}
	testenv.WaitFor(t, 10*time.Second, "recovered", func() bool { return r.job(t, "once").State == store.JobQueued })
	jobs, err := r.st.Lease(r.ctx, ch, "healthy", 10)
	if err != nil || len(jobs) != 1 || jobs[0].Attempts != 2 {
		t.Fatalf("lease by the healthy worker: %+v %v", jobs, err)
	}
	if sum, err := r.st.Submitted(r.ctx, ch, []store.SubmitOutcome{{Job: jobs[0].ID, MsgID: "0000000000000000000042"}}); err != nil || sum.Submitted != 1 {
		t.Fatalf("Submitted: %+v %v", sum, err)
	}
	if st := r.job(t, "once"); st.State != store.JobSubmitted {
		t.Fatalf("job recovered once: %+v, want submitted", st)
	}

	// Every worker that takes "dead" dies.
	r.create(t, "dead")
	testenv.Signalled(r.hub.Events(ch)) // start clean
	leases := 0
	testenv.WaitFor(t, 20*time.Second, "job ended", func() bool {
		jobs, err := r.dying.Lease(r.ctx, ch, "dying", 10)
		if err != nil {
			t.Fatal(err)
		}
		leases += len(jobs)
		return r.job(t, "dead").State.Final()
	})
	st := r.job(t, "dead")
	if st.State != store.JobUnknown || st.ErrorCode != store.ErrCodeWorkerLost || leases != maxRec+1 || st.Attempts != maxRec+1 {
		t.Fatalf("after %d leases: %+v, want unknown/%s after %d leases", leases, st, store.ErrCodeWorkerLost, maxRec+1)
	}
	req, err := r.st.GetRequest(r.ctx, "dead")
	if err != nil || !req.Status.Final() || req.Recipients[0].Status != store.RecipientUnknown {
		t.Fatalf("request: %+v %v", req, err)
	}
	testenv.WaitFor(t, 10*time.Second, "EventsReady", func() bool { return testenv.Signalled(r.hub.Events(ch)) })
	evs, err := r.st.LeaseEvents(r.ctx, ch, 10)
	if err != nil || len(evs) != 1 || evs[0].RequestID != "dead" || evs[0].Status != store.RecipientUnknown || evs[0].ErrorCode != store.ErrCodeWorkerLost {
		t.Fatalf("events: %+v %v", evs, err)
	}
}

// Submitted segments past the report wait are made final by the
// maintainer, which signals the dispatcher.
func TestSweepsReportWait(t *testing.T) {
	r := newRig(t, store.Options{ReportWait: time.Millisecond})
	r.create(t, "rw")
	jobs, err := r.st.Lease(r.ctx, ch, "healthy", 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("lease: %+v %v", jobs, err)
	}
	testenv.Signalled(r.hub.Events(ch))
	if _, err := r.st.Submitted(r.ctx, ch, []store.SubmitOutcome{{Job: jobs[0].ID, MsgID: "0000000000000000000043"}}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "report wait swept", func() bool { return r.job(t, "rw").State == store.JobUnknown })
	if st := r.job(t, "rw"); st.ErrorCode != store.ErrCodeReportTimeout {
		t.Fatalf("swept job: %+v", st)
	}
	testenv.WaitFor(t, 10*time.Second, "EventsReady", func() bool { return testenv.Signalled(r.hub.Events(ch)) })
}

// New refuses a hub that does not know a channel, and fills Interval.
func TestNewChecksConfig(t *testing.T) {
	env := testenv.Redis(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: 4 * time.Second})
	if _, err := New(Config{Store: st, Wake: wake.New("a"), Channels: []string{"b"}}); err == nil {
		t.Fatal("a channel unknown to the hub was accepted")
	}
	if _, err := New(Config{Store: st, Channels: []string{"a"}}); err == nil {
		t.Fatal("nil Wake accepted")
	}
	m, err := New(Config{Store: st, Wake: wake.New("a"), Channels: []string{"a"}})
	if err != nil || m.cfg.Interval != 2*time.Second {
		t.Fatalf("New: %v, interval %v, want LeaseTTL/2", err, m.cfg.Interval)
	}
	// A lease TTL of 1 ns is positive, so configuration accepts it: the
	// maintainer must still run (a zero interval makes the ticker panic).
	tiny := store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: time.Nanosecond, EventLeaseTTL: time.Nanosecond})
	m, err = New(Config{Store: tiny, Wake: wake.New("a"), Channels: []string{"a"}})
	if err != nil || m.cfg.Interval != minInterval {
		t.Fatalf("New with a 1 ns lease TTL: %v, interval %v, want %v", err, m.cfg.Interval, minInterval)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	cancel()
	<-done
}
