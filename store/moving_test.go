package store

import (
	"testing"
	"time"
)

// movingFixture creates request "m" (tenant acme, 3 jobs, one of them a
// scheduled retry) and "x" (tenant beta, 2 jobs), then marks "m" as moving
// to cm2 as a MoveQueued that crashed after move_out would have.
func movingFixture(f *fixture) {
	f.t.Helper()
	f.createFor("m", "acme", 3, nil)
	jobs := f.lease(1)
	if len(jobs) != 1 || jobs[0].RequestID != "m" {
		f.t.Fatalf("leased %v", jobs)
	}
	if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: jobs[0].ID, At: f.clock.Now().Add(time.Minute)}}); err != nil || n != 1 {
		f.t.Fatalf("Retry %d %v", n, err)
	}
	f.createFor("x", "beta", 2, nil)
	if _, state, err := f.st.moveOut(f.ctx, f.ch, "cm2", "m"); err != nil || state != "ok" {
		f.t.Fatalf("move out: %q %v", state, err)
	}
}

// checkMoved reruns MoveQueued and checks that "m" is found and moved with
// its 3 jobs queued on cm2.
func checkMoved(f *fixture) {
	f.t.Helper()
	res, err := f.st.MoveQueued(f.ctx, f.ch, "cm2")
	if err != nil || res.Requests != 1 || res.Segments != 3 {
		f.t.Fatalf("MoveQueued = %+v, %v; want m moved", res, err)
	}
	if r := f.get("m"); r.Channel != "cm2" || r.Counts.JobsByState[JobQueued] != 3 {
		f.t.Fatalf("m after the move: %s %s %v", r.Channel, r.Status, r.Counts.JobsByState)
	}
	if got, err := f.st.QueuedByTenant(f.ctx, "cm2"); err != nil || got["acme"] != 3 || len(got) != 1 {
		f.t.Fatalf("target queues %v %v", got, err)
	}
	if n := f.env.Do(f.t, "EXISTS", f.st.Keys().Request(f.ch, "m")).(int64); n != 0 {
		f.t.Fatal("source copy of m left")
	}
	if jobs, err := f.st.Lease(f.ctx, "cm2", "s2", 10); err != nil || len(jobs) != 3 {
		f.t.Fatalf("lease on cm2: %v %v", jobs, err)
	}
}

// FailQueued on a channel with a half-done move leaves the moving
// request's jobs in place: the rerun of MoveQueued finds and moves it.
func TestFailQueuedKeepsMovingRequest(t *testing.T) {
	backends(t, func(f *fixture) {
		st := New(f.env.Client, Options{Prefix: f.env.Prefix, Now: f.clock.Now, SweepBatch: 2})
		st.strictSlots = f.st.strictSlots
		movingFixture(f)
		f.clock.Advance(2 * time.Minute) // the retry is due: it must stay anyway
		n, err := st.FailQueued(f.ctx, f.ch, ErrCodeChannelRemoved)
		if err != nil || n != 2 {
			f.t.Fatalf("FailQueued = %d, %v; want x's 2 jobs", n, err)
		}
		if r := f.get("x"); r.Status != RequestFailed {
			f.t.Fatalf("x: %s", r.Status)
		}
		if n, err := st.FailQueued(f.ctx, f.ch, ErrCodeChannelRemoved); err != nil || n != 0 {
			f.t.Fatalf("rerun: %d %v", n, err)
		}
		checkMoved(f)
		if d := f.depth(); d.Pending != 0 || d.Scheduled != 0 {
			f.t.Fatalf("source depth %+v", d)
		}
	})
}

// Lease leaves a moving request's jobs (due retry included) in the queue,
// without popping them again in the same call: the rerun of MoveQueued
// finds and moves it.
func TestLeaseKeepsMovingRequest(t *testing.T) {
	backends(t, func(f *fixture) {
		movingFixture(f)
		f.clock.Advance(2 * time.Minute)
		jobs := f.lease(10)
		if len(jobs) != 2 || jobs[0].RequestID != "x" || jobs[1].RequestID != "x" {
			f.t.Fatalf("leased %v; want x's 2 jobs", jobs)
		}
		if jobs := f.lease(10); len(jobs) != 0 {
			f.t.Fatalf("second lease: %v", jobs)
		}
		if got, err := f.st.QueuedByTenant(f.ctx, f.ch); err != nil || got["acme"] != 3 {
			f.t.Fatalf("source queues %v %v; want m's 3 jobs kept", got, err)
		}
		checkMoved(f)
	})
}
