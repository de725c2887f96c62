package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestFailQueued(t *testing.T) {
	backends(t, func(f *fixture) {
		st := New(f.env.Client, Options{Prefix: f.env.Prefix, Now: f.clock.Now, SweepBatch: 2})
		st.strictSlots = f.st.strictSlots
		f.createFor("x", "acme", 4, nil)
		f.createFor("y", "beta", 3, func(r *NewRequest) { r.Priority = PriorityLow })
		jobs := f.lease(2) // x:1:1 (stays leased), x:2:1 (scheduled)
		if len(jobs) != 2 {
			f.t.Fatalf("leased %d", len(jobs))
		}
		if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: jobs[1].ID, At: f.clock.Now().Add(time.Hour)}}); err != nil || n != 1 {
			f.t.Fatalf("Retry %d %v", n, err)
		}
		n, err := st.FailQueued(f.ctx, f.ch, ErrCodeChannelRemoved)
		if err != nil || n != 6 {
			f.t.Fatalf("FailQueued = %d, %v; want 6", n, err)
		}
		x, y := f.get("x"), f.get("y")
		if y.Status != RequestFailed || y.Recipients[2].ErrorCode != ErrCodeChannelRemoved || y.FinishedAt.IsZero() {
			f.t.Fatalf("y: %s %+v", y.Status, y.Recipients[2])
		}
		if x.Status != RequestSending || x.Recipients[0].Segments[0].State != JobLeased ||
			x.Recipients[1].Status != RecipientFailed || x.Recipients[3].Status != RecipientFailed {
			f.t.Fatalf("x: %s %+v", x.Status, x.Recipients)
		}
		d := f.depth()
		if d.Pending != 0 || d.Scheduled != 0 || d.Leased != 1 || d.EventsReady != 6 {
			f.t.Fatalf("depth %+v", d)
		}
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 10)
		if err != nil || len(evs) != 6 || evs[0].Type != EventStatus || evs[0].ErrorCode != ErrCodeChannelRemoved {
			f.t.Fatalf("events %d %+v %v", len(evs), evs, err)
		}
		if n := f.env.Do(f.t, "EXISTS", f.st.Keys().Active(f.ch)).(int64); n != 0 {
			f.t.Fatal("tenants still active")
		}
		if n, err := st.FailQueued(f.ctx, f.ch, ErrCodeChannelRemoved); err != nil || n != 0 {
			f.t.Fatalf("rerun: %d %v", n, err)
		}
	})
}

func TestMoveQueued(t *testing.T) {
	backends(t, func(f *fixture) {
		k := f.st.Keys()
		f.createFor("sched", "beta", 1, nil)
		f.createFor("part", "beta", 2, nil)
		jobs := f.lease(2)
		if len(jobs) != 2 || jobs[0].ID != "sched:1:1" || jobs[1].ID != "part:1:1" {
			f.t.Fatalf("leased %v", jobs)
		}
		if _, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: jobs[0].ID, At: f.clock.Now().Add(time.Hour)}}); err != nil {
			f.t.Fatal(err)
		}
		f.createFor("whole", "acme", 3, func(r *NewRequest) { r.Priority = PriorityHigh; r.Weight = 2 })
		// A crash half-way through an earlier run: "whole" marked and
		// copied, index not moved.
		if _, err := f.st.moveRequestSteps(f, "whole", "cm2"); err != nil {
			f.t.Fatal(err)
		}
		res, err := f.st.MoveQueued(f.ctx, f.ch, "cm2")
		if err != nil || res != (MoveResult{Requests: 2, Segments: 4, LeftRequests: 1}) {
			f.t.Fatalf("MoveQueued = %+v, %v", res, err)
		}
		check := func() {
			f.t.Helper()
			w := f.get("whole")
			if w.Channel != "cm2" || w.Status != RequestQueued || w.Counts.JobsByState[JobQueued] != 3 {
				f.t.Fatalf("whole after move: %s %s %v", w.Channel, w.Status, w.Counts.JobsByState)
			}
			if ch, _ := f.st.ChannelOf(f.ctx, "sched"); ch != "cm2" {
				f.t.Fatalf("sched index -> %s", ch)
			}
			if ch, _ := f.st.ChannelOf(f.ctx, "part"); ch != f.ch {
				f.t.Fatalf("part index -> %s", ch)
			}
			if n := f.env.Do(f.t, "EXISTS", k.Request(f.ch, "whole"), k.Request(f.ch, "sched")).(int64); n != 0 {
				f.t.Fatalf("%d source copies left", n)
			}
			if q := f.depth(); q.Pending != 1 || q.Scheduled != 0 || q.Leased != 1 {
				f.t.Fatalf("source depth %+v", q)
			}
			if got, _ := f.st.QueuedByTenant(f.ctx, "cm2"); got["acme"] != 3 || got["beta"] != 1 || len(got) != 2 {
				f.t.Fatalf("target queues %v", got)
			}
		}
		check()
		res, err = f.st.MoveQueued(f.ctx, f.ch, "cm2")
		if err != nil || res != (MoveResult{LeftRequests: 1}) {
			f.t.Fatalf("rerun = %+v, %v", res, err)
		}
		check()
		moved, err := f.st.Lease(f.ctx, "cm2", "s2", 10)
		if err != nil || len(moved) != 4 {
			f.t.Fatalf("lease on cm2: %d %v", len(moved), err)
		}
		if left := f.lease(10); len(left) != 1 || left[0].RequestID != "part" {
			f.t.Fatalf("lease on source: %v", left)
		}
	})
}

// moveRequestSteps runs the first two steps of moving request id (mark,
// copy) as a run that crashed before repointing the index would have.
func (s *Store) moveRequestSteps(f *fixture, id, to string) (int64, error) {
	h, state, err := s.moveOut(f.ctx, f.ch, to, id)
	if err != nil || state != "ok" {
		return 0, fmt.Errorf("move out: %q %v", state, err)
	}
	segs, _, err := s.moveIn(f.ctx, f.ch, to, id, h)
	return segs, err
}

func TestCancelWhileMoving(t *testing.T) {
	backends(t, func(f *fixture) {
		f.createFor("c1", "acme", 2, nil)
		f.createFor("c2", "acme", 1, nil)
		// c1: marked and copied, index not moved yet; c2: marked only.
		if _, err := f.st.moveRequestSteps(f, "c1", "cm2"); err != nil {
			f.t.Fatal(err)
		}
		if _, state, err := f.st.moveOut(f.ctx, f.ch, "cm2", "c2"); err != nil || state != "ok" {
			f.t.Fatalf("move out c2: %q %v", state, err)
		}
		res, err := f.st.CancelRequest(f.ctx, "c1")
		if err != nil || res.Channel != "cm2" || res.Cancelled != 2 {
			f.t.Fatalf("cancel c1: %+v %v", res, err)
		}
		if _, err := f.st.CancelRequest(f.ctx, "c2"); !errors.Is(err, ErrUnavailable) {
			f.t.Fatalf("cancel c2 before its copy exists: %v", err)
		}
		mr, err := f.st.MoveQueued(f.ctx, f.ch, "cm2")
		if err != nil || mr.Requests != 2 || mr.LeftRequests != 0 {
			f.t.Fatalf("MoveQueued %+v %v", mr, err)
		}
		if r := f.get("c1"); r.Channel != "cm2" || r.Status != RequestCancelled {
			f.t.Fatalf("c1: %s %s", r.Channel, r.Status)
		}
		if res, err := f.st.CancelRequest(f.ctx, "c2"); err != nil || res.Channel != "cm2" || res.Cancelled != 1 {
			f.t.Fatalf("cancel c2 after the move: %+v %v", res, err)
		}
		if jobs, err := f.st.Lease(f.ctx, "cm2", "s", 10); err != nil || len(jobs) != 0 {
			f.t.Fatalf("lease on cm2: %v %v", jobs, err)
		}
	})
}

// A request moved twice (A → B, then B → C) whose second move crashed
// after the copy: the rerun recognises its own copy on C (mvfrom is the
// last source, not the first).
func TestMoveQueuedTwice(t *testing.T) {
	backends(t, func(f *fixture) {
		f.createFor("r", "acme", 2, nil)
		if res, err := f.st.MoveQueued(f.ctx, f.ch, "cm2"); err != nil || res.Requests != 1 {
			f.t.Fatalf("first move: %+v %v", res, err)
		}
		h, state, err := f.st.moveOut(f.ctx, "cm2", "cm3", "r")
		if err != nil || state != "ok" {
			f.t.Fatalf("move out: %q %v", state, err)
		}
		if _, _, err := f.st.moveIn(f.ctx, "cm2", "cm3", "r", h); err != nil {
			f.t.Fatalf("move in: %v", err)
		}
		res, err := f.st.MoveQueued(f.ctx, "cm2", "cm3")
		if err != nil || res != (MoveResult{Requests: 1, Segments: 2}) {
			f.t.Fatalf("rerun of the second move = %+v, %v", res, err)
		}
		if r := f.get("r"); r.Channel != "cm3" || r.Status != RequestQueued {
			f.t.Fatalf("r: %s %s", r.Channel, r.Status)
		}
		if jobs, err := f.st.Lease(f.ctx, "cm3", "s", 10); err != nil || len(jobs) != 2 {
			f.t.Fatalf("lease on cm3: %v %v", jobs, err)
		}
	})
}
