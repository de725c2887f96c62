package store

import (
	"errors"
	"testing"
	"time"
)

func TestCancelRequest(t *testing.T) {
	backends(t, func(f *fixture) {
		// 3 recipients × 2 segments. r1: both submitted; r2: seg1 leased
		// (in flight), seg2 scheduled; r3: queued.
		f.create("cx", 3, 2)
		f.create("keep", 1, 1)
		jobs := f.lease(4) // r1s1 r1s2 r2s1 r2s2
		mids := f.submitOK(jobs[:2], 1)
		if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: jobs[3].ID, At: f.clock.Now().Add(time.Minute)}}); err != nil || n != 1 {
			f.t.Fatalf("Retry: %d %v", n, err)
		}
		res, err := f.st.CancelRequest(f.ctx, "cx")
		if err != nil {
			f.t.Fatal(err)
		}
		if res.Channel != f.ch || res.Cancelled != 3 || res.InFlight != 1 || len(res.Submitted) != 2 ||
			res.Submitted[0] != (CancelTarget{Job: "cx:1:1", MsgID: mids[0], Recipient: 1}) {
			f.t.Fatalf("CancelResult %+v", res)
		}
		got := f.get("cx")
		if got.CancelledAt.IsZero() || got.Recipients[2].Status != RecipientCancelled ||
			got.Recipients[2].ErrorCode != ErrCodeCancelled || got.Recipients[1].Status != RecipientSending ||
			got.Recipients[1].Segments[1].State != JobCancelled || got.Counts.Cancelled != 1 {
			f.t.Fatalf("after cancel: %s %+v", got.Status, got.Recipients)
		}
		if d := f.depth(); d.Scheduled != 0 {
			f.t.Fatalf("scheduled job not removed: %+v", d)
		}
		// Lease drops the cancelled request's queued jobs and still serves others.
		leased := f.lease(10)
		if len(leased) != 1 || leased[0].ID != "keep:1:1" {
			f.t.Fatalf("lease after cancel: %+v", leased)
		}
		if d := f.depth(); d.Pending != 0 {
			f.t.Fatalf("cancelled jobs left in queue: %+v", d)
		}
		// The in-flight job is submitted after all; a second cancel returns it.
		f.submitOK([]Job{jobs[2]}, 10)
		res, err = f.st.CancelRequest(f.ctx, "cx")
		if err != nil || res.Cancelled != 0 || res.InFlight != 0 || len(res.Submitted) != 3 {
			f.t.Fatalf("second cancel: %+v %v", res, err)
		}
		// CMPP_CANCEL answers: r1 both cancelled, r2s1 refused then delivered.
		n, err := f.st.RecordCancel(f.ctx, f.ch, []CancelOutcome{
			{Job: "cx:1:1", MsgID: mids[0], Cancelled: true},
			{Job: "cx:1:2", MsgID: mids[1], Cancelled: true},
			{Job: "cx:2:1", MsgID: msgID(10), Cancelled: false},
			{Job: "cx:2:1", MsgID: "wrong", Cancelled: true},
		})
		if err != nil || n != 3 {
			f.t.Fatalf("RecordCancel: %d %v", n, err)
		}
		got = f.get("cx")
		if got.Recipients[0].Status != RecipientCancelled || got.Recipients[1].Segments[0].ErrorCode != "cancel_failed" ||
			got.Recipients[1].Segments[0].State != JobSubmitted {
			f.t.Fatalf("after RecordCancel: %+v", got.Recipients)
		}
		if got.Status != RequestSubmitted {
			f.t.Fatalf("status %s, want submitted", got.Status)
		}
		f.reports(rep(msgID(10), "DELIVRD"))
		got = f.get("cx")
		// r2: seg1 delivered + seg2 cancelled → cancelled; all cancelled.
		if got.Recipients[1].Status != RecipientCancelled || got.Status != RequestCancelled {
			f.t.Fatalf("final: %s %+v", got.Status, got.Recipients[1])
		}
		if ttl := f.env.TTL(f.t, f.st.Keys().Request(f.ch, "cx")); ttl <= 0 {
			f.t.Fatalf("cancelled request has no TTL: %v", ttl)
		}
		if _, err := f.st.CancelRequest(f.ctx, "none"); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("cancel unknown: %v", err)
		}
	})
}

func TestCancelQueuedOnly(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("cq", 2, 2)
		res, err := f.st.CancelRequest(f.ctx, "cq")
		if err != nil || res.Cancelled != 4 {
			f.t.Fatalf("cancel: %+v %v", res, err)
		}
		got := f.get("cq")
		if got.Status != RequestCancelled || got.Counts.Cancelled != 2 || got.FinishedAt.IsZero() {
			f.t.Fatalf("final: %s %+v", got.Status, got.Counts)
		}
		if d := f.depth(); d.EventsReady != 2 {
			f.t.Fatalf("events: %+v", d)
		}
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 5)
		if err != nil || len(evs) != 2 || evs[0].Status != RecipientCancelled || evs[0].ErrorCode != ErrCodeCancelled {
			f.t.Fatalf("events: %+v %v", evs, err)
		}
		if jobs := f.lease(10); len(jobs) != 0 {
			f.t.Fatalf("leased cancelled jobs: %+v", jobs)
		}
	})
}

// TestCancelInFlightThenLeaseLost: a job in flight at cancel time whose
// lease expires is cancelled when it comes back through the queue, so the
// request still becomes final.
func TestCancelInFlightThenLeaseLost(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("il", 1, 2)
		jobs := f.lease(2)
		res, err := f.st.CancelRequest(f.ctx, "il")
		if err != nil || res.InFlight != 2 {
			f.t.Fatalf("cancel: %+v %v", res, err)
		}
		// One job is given back for a retry, the other's lease expires.
		if n, _ := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: jobs[1].ID, At: f.clock.Now()}}); n != 1 {
			f.t.Fatalf("retry %d", n)
		}
		f.clock.Advance(DefaultLeaseTTL + time.Millisecond)
		if n, _ := f.st.Recover(f.ctx, f.ch); n != (Recovery{Jobs: 1}) {
			f.t.Fatalf("recover %+v", n)
		}
		if got := f.lease(5); len(got) != 0 {
			f.t.Fatalf("leased jobs of a cancelled request: %+v", got)
		}
		got := f.get("il")
		if got.Status != RequestCancelled || got.Recipients[0].Segments[0].State != JobCancelled ||
			got.Recipients[0].Segments[1].State != JobCancelled {
			f.t.Fatalf("final: %s %+v", got.Status, got.Recipients[0].Segments)
		}
		if ttl := f.env.TTL(f.t, f.st.Keys().RequestIndex("il")); ttl <= 0 || ttl > DefaultRetention {
			f.t.Fatalf("index TTL %v", ttl)
		}
		if d := f.depth(); d.Pending != 0 || d.Scheduled != 0 || d.Leased != 0 || d.EventsReady != 1 {
			f.t.Fatalf("depth %+v", d)
		}
	})
}
