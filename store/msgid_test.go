package store

import (
	"testing"
	"time"
)

// submitSame records one Result 0 outcome per job, every one with msg id
// mid, in one Submitted call.
func (f *fixture) submitSame(mid string, jobs ...JobID) SubmitSummary {
	f.t.Helper()
	outs := make([]SubmitOutcome, len(jobs))
	for i, j := range jobs {
		outs[i] = SubmitOutcome{Job: j, MsgID: mid}
	}
	sum, err := f.st.Submitted(f.ctx, f.ch, outs)
	if err != nil {
		f.t.Fatalf("Submitted: %v", err)
	}
	return sum
}

// mapping returns the job msg id mid is mapped to ("" when none).
func (f *fixture) mapping(mid string) string {
	f.t.Helper()
	v, _ := f.env.Get(f.t, f.st.Keys().MsgID(f.ch, mid))
	return v
}

// An ISMG answering one Msg_Id for different segments: the first mapping
// is kept (its report matches it), every later segment is final unknown
// with msg_id_collision at once, its recipient rolls up and its event says
// why — whether the collision is within one batch or across batches.
func TestMsgIDCollisionKeepsFirstMapping(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("c1", 1, 2) // c1:1:1 and c1:1:2
		f.create("c2", 1, 1)
		f.create("c3", 1, 1)
		if n := len(f.lease(10)); n != 4 {
			f.t.Fatalf("leased %d, want 4", n)
		}
		mid := msgID(0)
		// Within one batch: c1:1:1 maps mid, c1:1:2 collides with it.
		sum := f.submitSame(mid, "c1:1:1", "c1:1:2")
		if sum.Submitted != 1 || sum.Unknown != 0 || sum.Stale != 0 || len(sum.Collisions) != 1 ||
			sum.Collisions[0] != (MsgIDCollision{Job: "c1:1:2", MsgID: mid, Holder: "c1:1:1"}) {
			f.t.Fatalf("first batch: %+v", sum)
		}
		// Across batches: c2 and c3 collide with c1:1:1 too.
		f.clock.Advance(time.Second)
		sum = f.submitSame(mid, "c2:1:1", "c3:1:1")
		if sum.Submitted != 0 || len(sum.Collisions) != 2 || len(sum.Events) != 2 ||
			sum.Collisions[0].Holder != "c1:1:1" || sum.Collisions[1].Job != "c3:1:1" {
			f.t.Fatalf("second batch: %+v", sum)
		}
		if got := f.mapping(mid); got != "c1:1:1" {
			f.t.Fatalf("mapping %q, want the first job c1:1:1", got)
		}
		if d := f.depth(); d.AwaitingReports != 1 || d.Leased != 0 {
			f.t.Fatalf("depth %+v: only the holder awaits a report", d)
		}
		// The later segment is final unknown with the collision code, and
		// keeps the Msg_Id and Result it was given.
		got := f.get("c2")
		sg := got.Recipients[0].Segments[0]
		if got.Status != RequestFailed || got.Recipients[0].Status != RecipientUnknown ||
			got.Recipients[0].ErrorCode != ErrCodeMsgIDCollision || got.Counts.Unknown != 1 || got.FinishedAt.IsZero() ||
			sg.State != JobUnknown || sg.ErrorCode != ErrCodeMsgIDCollision || sg.MsgID != mid ||
			!sg.HasSubmitResult || sg.SubmitResult != 0 || !sg.SubmittedAt.Equal(f.clock.Now()) {
			f.t.Fatalf("collided request: %s %+v", got.Status, got.Recipients[0])
		}
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 10)
		if err != nil || len(evs) != 2 {
			f.t.Fatalf("LeaseEvents: %d %v", len(evs), err)
		}
		for _, e := range evs {
			if e.Status != RecipientUnknown || e.ErrorCode != ErrCodeMsgIDCollision ||
				len(e.Segments) != 1 || e.Segments[0].ErrorCode != ErrCodeMsgIDCollision || e.Segments[0].MsgID != mid {
				f.t.Fatalf("event %+v", e)
			}
		}
		// The report for mid matches the first segment; a second one is a
		// duplicate (the holder is final), never applied to a later one.
		outs := f.reports(rep(mid, "DELIVRD"), rep(mid, "DELIVRD"))
		if outs[0].Result != ReportMatched || outs[0].Job != "c1:1:1" || outs[1].Result != ReportDuplicate {
			f.t.Fatalf("reports %+v", outs)
		}
		got = f.get("c1")
		r := got.Recipients[0]
		if got.Status != RequestFailed || r.Status != RecipientUnknown || r.ErrorCode != ErrCodeMsgIDCollision ||
			r.Segments[0].State != JobDelivered || r.Segments[1].State != JobUnknown {
			f.t.Fatalf("c1 after report: %s %+v", got.Status, r)
		}
		if d := f.depth(); d.AwaitingReports != 0 {
			f.t.Fatalf("depth %+v", d)
		}
		assertChannelSlot(f)
	})
}

// The same Msg_Id recorded again for the same segment — a batch stored
// twice, the same outcome twice in a batch, or a mapping already pointing
// at the job (the same SUBMIT answered twice) — is not a collision.
func TestMsgIDSameJobIsNotACollision(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("s1", 1, 1)
		f.create("s2", 1, 1)
		f.lease(2)
		mid, mid2 := msgID(5), msgID(6)
		sum := f.submitSame(mid, "s1:1:1", "s1:1:1")
		if sum.Submitted != 1 || sum.Stale != 1 || len(sum.Collisions) != 0 {
			f.t.Fatalf("same job twice in a batch: %+v", sum)
		}
		if sum = f.submitSame(mid, "s1:1:1"); sum.Stale != 1 || len(sum.Collisions) != 0 {
			f.t.Fatalf("batch stored again: %+v", sum)
		}
		// A mapping left pointing at s2:1:1 itself.
		k := f.st.Keys()
		f.env.Do(f.t, "SET", k.MsgID(f.ch, mid2), "s2:1:1")
		if sum = f.submitSame(mid2, "s2:1:1"); sum.Submitted != 1 || len(sum.Collisions) != 0 {
			f.t.Fatalf("mapping to the job itself: %+v", sum)
		}
		if ttl := f.env.TTL(f.t, k.MsgID(f.ch, mid2)); ttl <= 0 {
			f.t.Fatalf("re-mapped key has TTL %v, want MappingTTL", ttl)
		}
		outs := f.reports(rep(mid, "DELIVRD"), rep(mid2, "DELIVRD"))
		if outs[0].Job != "s1:1:1" || outs[0].Result != ReportMatched || outs[1].Job != "s2:1:1" || outs[1].Result != ReportMatched {
			f.t.Fatalf("reports %+v", outs)
		}
	})
}

// A Msg_Id mapped to a job that no longer waits for a report for it (final,
// or its request gone) is reused, not a collision: the new job takes the
// mapping and its report.
func TestMsgIDReuseAfterFinal(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("r1", 1, 1)
		f.create("r2", 1, 1)
		f.create("r3", 1, 1)
		f.lease(3)
		mid := msgID(9)
		f.submitSame(mid, "r1:1:1")
		if o := f.reports(rep(mid, "DELIVRD")); o[0].Job != "r1:1:1" || o[0].Result != ReportMatched {
			f.t.Fatalf("first report %+v", o)
		}
		if sum := f.submitSame(mid, "r2:1:1"); sum.Submitted != 1 || len(sum.Collisions) != 0 {
			f.t.Fatalf("reuse after final: %+v", sum)
		}
		if got := f.mapping(mid); got != "r2:1:1" {
			f.t.Fatalf("mapping %q", got)
		}
		if o := f.reports(rep(mid, "UNDELIV")); o[0].Job != "r2:1:1" || o[0].Result != ReportMatched {
			f.t.Fatalf("second report %+v", o)
		}
		// A mapping to a job of a request that is gone.
		mid2 := msgID(10)
		f.env.Do(f.t, "SET", f.st.Keys().MsgID(f.ch, mid2), "gone:1:1")
		if sum := f.submitSame(mid2, "r3:1:1"); sum.Submitted != 1 || len(sum.Collisions) != 0 {
			f.t.Fatalf("reuse after a vanished request: %+v", sum)
		}
		if got := f.mapping(mid2); got != "r3:1:1" {
			f.t.Fatalf("mapping %q", got)
		}
	})
}

// A report parked before any SUBMIT_RESP goes to the first job given its
// Msg_Id; a job given the same Msg_Id later in the same batch finds the
// holder final and takes the mapping for a report of its own.
func TestMsgIDParkedReportGoesToFirstMapping(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("p1", 1, 1)
		f.create("p2", 1, 1)
		f.lease(2)
		mid := msgID(11)
		if o := f.reports(rep(mid, "DELIVRD")); o[0].Result != ReportParked {
			f.t.Fatalf("early report %+v", o)
		}
		sum := f.submitSame(mid, "p1:1:1", "p2:1:1")
		if sum.Submitted != 2 || sum.ParkedReports != 1 || len(sum.Collisions) != 0 {
			f.t.Fatalf("Submitted: %+v", sum)
		}
		if got := f.get("p1"); got.Status != RequestDelivered {
			f.t.Fatalf("p1 %s: the parked report goes to the first mapping", got.Status)
		}
		if got := f.get("p2"); got.Status != RequestSubmitted || f.mapping(mid) != "p2:1:1" {
			f.t.Fatalf("p2 %s, mapping %q", got.Status, f.mapping(mid))
		}
	})
}
