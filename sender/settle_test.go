package sender

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// settleRig is a channel that is not running, on a real Redis: the test
// drives its inHand, record and heartbeat beats itself.
type settleRig struct {
	ch   *Channel
	st   *store.Store
	env  *testenv.RedisEnv
	logs *testenv.LogBuffer
}

func newSettleRig(t *testing.T) *settleRig {
	t.Helper()
	env := testenv.Redis(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: time.Minute})
	logs := &testenv.LogBuffer{}
	ch, err := NewChannel(Settings{Name: "default"}, Deps{
		Store: st, Owner: "me-" + env.Prefix, Wake: wake.New("default"), Logger: zerolog.New(logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &settleRig{ch: ch, st: st, env: env, logs: logs}
}

// lease creates request id with n recipients and leases its jobs for
// owner through st.
func (r *settleRig) lease(t *testing.T, st *store.Store, id, owner string, n int) []store.Job {
	t.Helper()
	ctx := context.Background()
	req := store.NewRequest{ID: id, Tenant: "t", Channel: "default", MsgFmt: 8,
		Segments: []store.Segment{{Content: []byte("a")}}}
	for i := range n {
		req.Recipients = append(req.Recipients, fmt.Sprintf("1380013%04d", i))
	}
	if err := r.st.CreateRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	jobs, err := st.Lease(ctx, "default", owner, n)
	if err != nil || len(jobs) != n {
		t.Fatalf("lease: %d jobs, %v; want %d", len(jobs), err, n)
	}
	return jobs
}

// takeOver makes the leases of jobs (leased by owner with a deadline
// already past) expire and another sender lease the jobs.
func (r *settleRig) takeOver(t *testing.T, jobs []store.Job) {
	t.Helper()
	ctx := context.Background()
	testenv.WaitFor(t, 10*time.Second, "leases expired", func() bool {
		for _, j := range jobs {
			dl, err := r.env.Client.ZScore(ctx, r.st.Keys().Lease("default"), string(j.ID)).Result()
			if err != nil || int64(dl) >= time.Now().UnixMilli() {
				return false
			}
		}
		return true
	})
	if rec, err := r.st.Recover(ctx, "default"); err != nil || rec.Jobs != len(jobs) {
		t.Fatalf("recover: %+v %v; want %d jobs", rec, err, len(jobs))
	}
	if got, err := r.st.Lease(ctx, "default", "other", len(jobs)); err != nil || len(got) != len(jobs) {
		t.Fatalf("lease by the other sender: %d jobs, %v", len(got), err)
	}
}

// A heartbeat that runs after the store calls of a record ended its jobs'
// leases, but before the jobs left inHand, does not take them for lost.
// Before, it logged "leases lost" for the whole batch (15–31 jobs a beat
// in TestFairness) although nothing was lost.
func TestHeartbeatDuringRecordFindsNothingLost(t *testing.T) {
	r := newSettleRig(t)
	ctx := context.Background()
	jobs := r.lease(t, r.st, "rec", r.ch.deps.Owner, 2)
	for _, j := range jobs {
		r.ch.inHand.add(j.ID, j.Attempts)
	}
	batch := []outcome{
		{id: jobs[0].ID, lease: jobs[0].Attempts, label: "0",
			done: &store.SubmitOutcome{Job: jobs[0].ID, MsgID: "1122101012000100000001"}},
		{id: jobs[1].ID, lease: jobs[1].Attempts, label: "8",
			retry: &store.RetryJob{ID: jobs[1].ID, At: time.Now().Add(time.Hour), Reason: "flow_control"}},
	}
	beats, lost := 0, -1
	r.ch.afterStore = func() {
		beats++
		lost = r.ch.beat(ctx)
	}
	if _, err := r.ch.record(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if beats != 1 {
		t.Fatalf("the heartbeat ran %d times between the store calls and the removal, want 1", beats)
	}
	if lost != 0 {
		t.Errorf("the heartbeat marked %d leases lost, want 0: their outcomes were being stored", lost)
	}
	if strings.Contains(r.logs.String(), "lost") {
		t.Errorf("logged a loss:\n%s", r.logs.String())
	}
	if got := r.ch.inHand.list(); len(got) != 0 {
		t.Errorf("in hand after the record: %v, want empty", got)
	}
	// The outcomes are stored: the store calls ran before the beat.
	req, err := r.st.GetRequest(ctx, "rec")
	if err != nil {
		t.Fatal(err)
	}
	if s := req.Recipients[jobs[0].Recipient-1].Segments[0].State; s != store.JobSubmitted {
		t.Errorf("job 1 %s, want %s", s, store.JobSubmitted)
	}
	if s := req.Recipients[jobs[1].Recipient-1].Segments[0].State; s != store.JobScheduled {
		t.Errorf("job 2 %s, want %s", s, store.JobScheduled)
	}
}

// A lease that really expired and was taken over is still found: by the
// heartbeat while the job waits for a worker (which then drops it), and
// by record when the outcome is stored (a retry not scheduled, an outcome
// found stale because the new owner stored its own first).
func TestRealLeaseLossIsStillDetected(t *testing.T) {
	r := newSettleRig(t)
	ctx := context.Background()
	// Leased by this channel's owner with a lease that expires at once.
	dying := store.New(r.env.Client, store.Options{Prefix: r.env.Prefix, LeaseTTL: time.Millisecond})
	jobs := r.lease(t, dying, "gone", r.ch.deps.Owner, 3)
	for _, j := range jobs {
		r.ch.inHand.add(j.ID, j.Attempts)
	}
	r.takeOver(t, jobs)

	// Waiting for a worker: the heartbeat finds it lost.
	waiting := jobs[0]
	r.ch.inHand.remove(jobs[1].ID, jobs[1].Attempts) // in flight: only record sees these
	r.ch.inHand.remove(jobs[2].ID, jobs[2].Attempts)
	if n := r.ch.beat(ctx); n != 1 {
		t.Fatalf("the heartbeat marked %d leases lost, want 1", n)
	}
	if r.ch.inHand.takeIfOwned(waiting.ID) {
		t.Error("a job whose lease was taken over is still sent")
	}
	if !strings.Contains(r.logs.String(), "leases lost (expired and taken over)") {
		t.Errorf("the heartbeat did not log the loss:\n%s", r.logs.String())
	}

	// Recorded: the new owner stored its own outcome of jobs[2] first.
	if _, err := r.st.Submitted(ctx, "default", []store.SubmitOutcome{
		{Job: jobs[2].ID, MsgID: "1122101012000100000002"},
	}); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs[1:] {
		r.ch.inHand.add(j.ID, j.Attempts)
	}
	batch := []outcome{
		{id: jobs[1].ID, lease: jobs[1].Attempts, label: "8",
			retry: &store.RetryJob{ID: jobs[1].ID, At: time.Now(), Reason: "flow_control"}},
		{id: jobs[2].ID, lease: jobs[2].Attempts, label: "0",
			done: &store.SubmitOutcome{Job: jobs[2].ID, MsgID: "1122101012000100000003"}},
	}
	if _, err := r.ch.record(ctx, batch); err != nil {
		t.Fatal(err)
	}
	logs := r.logs.String()
	for _, want := range []string{"retries not scheduled: leases lost", "SUBMIT outcomes ignored"} {
		if !strings.Contains(logs, want) {
			t.Errorf("record did not log %q:\n%s", want, logs)
		}
	}
	req, err := r.st.GetRequest(ctx, "gone")
	if err != nil {
		t.Fatal(err)
	}
	if seg := req.Recipients[jobs[1].Recipient-1].Segments[0]; seg.State != store.JobLeased || seg.LeaseOwner != "other" {
		t.Errorf("job 2 %+v: the retry pulled it from its new owner", seg)
	}
}
