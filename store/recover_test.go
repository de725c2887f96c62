package store

import (
	"testing"
	"time"
)

// A job whose lease keeps expiring (its SUBMIT kills every worker that
// takes it) is queued again MaxRecoveries times, then made final
// 'unknown' with ErrCodeWorkerLost: recipient rolled up, sms.status event
// created, request final. A lease renewed by Extend does not count, and a
// job recovered fewer times is leased and sent normally.
func TestRecoverEndsJobRecoveredTooOften(t *testing.T) {
	backends(t, func(f *fixture) {
		opts := f.st.Options()
		opts.MaxRecoveries = 2
		strict := f.st.strictSlots
		f.st = New(f.env.Client, opts)
		f.st.strictSlots = strict
		f.create("wl", 2, 1) // recipient 1 dies every time; recipient 2 once

		expire := func() Recovery {
			f.t.Helper()
			f.clock.Advance(DefaultLeaseTTL + time.Millisecond)
			n, err := f.st.Recover(f.ctx, f.ch)
			if err != nil {
				f.t.Fatalf("Recover: %v", err)
			}
			return n
		}
		job1 := MakeJobID("wl", 1, 1)

		// Two leases of both jobs expire: both are recovered each time.
		// Each lease is renewed once by the heartbeat first, which must
		// not count as a recovery.
		for i := 1; i <= opts.MaxRecoveries; i++ {
			jobs := f.lease(5)
			if len(jobs) != 2 || jobs[0].ID != job1 {
				f.t.Fatalf("lease %d: %+v", i, jobs)
			}
			f.clock.Advance(DefaultLeaseTTL / 2)
			if lost, err := f.st.Extend(f.ctx, f.ch, "sender-1", []JobID{jobs[0].ID, jobs[1].ID}); err != nil || len(lost) != 0 {
				f.t.Fatalf("Extend: %v %v", lost, err)
			}
			f.clock.Advance(DefaultLeaseTTL/2 + time.Millisecond) // past the first deadline only
			if n, _ := f.st.Recover(f.ctx, f.ch); n != (Recovery{}) {
				f.t.Fatalf("a renewed lease was recovered: %+v", n)
			}
			if n := expire(); n != (Recovery{Jobs: 2}) {
				f.t.Fatalf("expiry %d: %+v, want both jobs queued again", i, n)
			}
		}
		if st := f.get("wl").Recipients[0].Segments[0]; st.State != JobQueued || st.Attempts != 2 {
			f.t.Fatalf("after %d recoveries: %+v, want queued", opts.MaxRecoveries, st)
		}

		// The third lease of job 1 expires: it ends. Job 2, recovered as
		// often, is sent this time.
		jobs := f.lease(5)
		if len(jobs) != 2 {
			f.t.Fatalf("third lease: %+v", jobs)
		}
		f.submitOK(jobs[1:], 1)
		if n := expire(); n != (Recovery{Ended: 1}) {
			f.t.Fatalf("third expiry: %+v, want job 1 ended", n)
		}
		req := f.get("wl")
		r1 := req.Recipients[0]
		if r1.Status != RecipientUnknown || r1.ErrorCode != ErrCodeWorkerLost ||
			r1.Segments[0].State != JobUnknown || r1.Segments[0].ErrorCode != ErrCodeWorkerLost || r1.Segments[0].LeaseOwner != "" {
			f.t.Fatalf("recipient 1: %+v", r1)
		}
		if r2 := req.Recipients[1]; r2.Segments[0].State != JobSubmitted {
			f.t.Fatalf("recipient 2: %+v, want submitted", r2)
		}
		if d := f.depth(); d.Leased != 0 || d.Pending != 0 || d.EventsReady != 1 {
			f.t.Fatalf("depth: %+v", d)
		}
		if got := f.lease(5); len(got) != 0 {
			f.t.Fatalf("an ended job was leased again: %+v", got)
		}
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 5)
		if err != nil || len(evs) != 1 {
			f.t.Fatalf("events: %+v %v", evs, err)
		}
		if e := evs[0]; e.Type != EventStatus || e.RequestID != "wl" || e.Recipient != 1 ||
			e.Status != RecipientUnknown || e.ErrorCode != ErrCodeWorkerLost {
			f.t.Fatalf("event: %+v", e)
		}

		// Recipient 2's report makes the request final, counted as the
		// roll-up counts any final outcome.
		mid := req.Recipients[1].Segments[0].MsgID
		f.reports(rep(mid, "DELIVRD"))
		if req := f.get("wl"); req.Status != RequestPartiallyDelivered || req.Counts.Unknown != 1 || req.Counts.Delivered != 1 {
			f.t.Fatalf("request: %s %+v", req.Status, req.Counts)
		}
	})
}
