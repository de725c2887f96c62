package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHappyPathDelivered(t *testing.T) {
	backends(t, func(f *fixture) {
		req := f.create("hp", 2, 2)
		jobs := f.lease(10)
		if len(jobs) != 4 {
			f.t.Fatalf("leased %d jobs, want 4", len(jobs))
		}
		j := jobs[1]
		if j.ID != "hp:1:2" || j.RequestID != "hp" || j.Recipient != 1 || j.Segment != 2 ||
			j.Dest != "13800130001" || !bytes.Equal(j.Content, req.Segments[1].Content) || !j.UDHI ||
			j.MsgFmt != 8 || j.SrcExt != "01" || j.PkTotal != 2 || j.PkNumber != 2 || j.Attempts != 1 {
			f.t.Fatalf("job: %+v", j)
		}
		if more := f.lease(10); len(more) != 0 {
			f.t.Fatalf("second lease got %d jobs", len(more))
		}
		if d := f.depth(); d.Pending != 0 || d.Leased != 4 {
			f.t.Fatalf("depth after lease: %+v", d)
		}
		got := f.get("hp")
		if got.Status != RequestSending || got.StartedAt.IsZero() ||
			got.Recipients[0].Segments[0].State != JobLeased || got.Recipients[0].Segments[0].LeaseOwner != "sender-1" {
			f.t.Fatalf("after lease: status %s %+v", got.Status, got.Recipients[0].Segments[0])
		}

		f.clock.Advance(time.Second)
		mids := f.submitOK(jobs[:3], 1)
		if got := f.get("hp"); got.Status != RequestSending || got.Recipients[0].Status != RecipientSubmitted ||
			got.Recipients[1].Status != RecipientSending {
			f.t.Fatalf("after 3 of 4 submitted: %s %s %s", got.Status, got.Recipients[0].Status, got.Recipients[1].Status)
		}
		mids = append(mids, f.submitOK(jobs[3:], 4)...)
		k := f.st.Keys()
		if v, ok := f.env.Get(f.t, k.MsgID(f.ch, mids[0])); !ok || v != "hp:1:1" {
			f.t.Fatalf("msg_id mapping: %q %v", v, ok)
		}
		if ttl := f.env.TTL(f.t, k.MsgID(f.ch, mids[0])); ttl <= 71*time.Hour || ttl > 72*time.Hour {
			f.t.Fatalf("mapping TTL %v", ttl)
		}
		if d := f.depth(); d.Leased != 0 || d.AwaitingReports != 4 {
			f.t.Fatalf("depth after submit: %+v", d)
		}
		got = f.get("hp")
		sg := got.Recipients[0].Segments[0]
		if got.Status != RequestSubmitted || sg.State != JobSubmitted || sg.MsgID != mids[0] ||
			!sg.HasSubmitResult || sg.SubmitResult != 0 || !sg.SubmittedAt.Equal(f.clock.Now()) || sg.LeaseOwner != "" {
			f.t.Fatalf("after submit: %s %+v", got.Status, sg)
		}

		f.clock.Advance(time.Second)
		outs := f.reports(rep(mids[0], "DELIVRD"), rep(mids[1], "DELIVRD"), rep(mids[2], "DELIVRD"))
		if outs[0].Result != ReportMatched || outs[0].Job != "hp:1:1" || outs[0].EventID != "" ||
			outs[1].Result != ReportMatched || outs[1].EventID == "" || outs[2].EventID != "" {
			f.t.Fatalf("report outcomes %+v", outs)
		}
		if got := f.get("hp"); got.Status != RequestSubmitted || got.Recipients[0].Status != RecipientDelivered ||
			got.Counts.Delivered != 1 || got.Counts.Pending != 1 {
			f.t.Fatalf("after 3 reports: %s %+v", got.Status, got.Counts)
		}
		if ttl := f.env.TTL(f.t, k.Request(f.ch, "hp")); ttl != -1 {
			f.t.Fatalf("request TTL %v before final", ttl)
		}
		f.reports(rep(mids[3], "DELIVRD"))
		got = f.get("hp")
		if got.Status != RequestDelivered || got.Counts.Delivered != 2 || got.FinishedAt.IsZero() {
			f.t.Fatalf("final: %s %+v", got.Status, got.Counts)
		}
		sg = got.Recipients[1].Segments[1]
		if sg.State != JobDelivered || sg.Stat != "DELIVRD" || sg.DoneTime != "2511221011" ||
			!sg.ReportedAt.Equal(f.clock.Now()) {
			f.t.Fatalf("delivered segment: %+v", sg)
		}
		if ttl := f.env.TTL(f.t, k.Request(f.ch, "hp")); ttl <= 0 || ttl > DefaultRetention {
			f.t.Fatalf("request TTL %v after final, want Retention", ttl)
		}
		if ttl := f.env.TTL(f.t, k.RequestIndex("hp")); ttl <= 0 || ttl > DefaultRetention {
			f.t.Fatalf("index TTL %v after final, want Retention", ttl)
		}
		if d := f.depth(); d.AwaitingReports != 0 || d.EventsReady != 2 {
			f.t.Fatalf("depth at end: %+v", d)
		}
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 10)
		if err != nil || len(evs) != 2 {
			f.t.Fatalf("LeaseEvents: %d %v", len(evs), err)
		}
		e := evs[0]
		if e.Type != EventStatus || e.RequestID != "hp" || e.Recipient != 1 || e.To != "13800130001" ||
			e.Status != RecipientDelivered || e.CallbackURL != req.CallbackURL || e.Tenant != "acme" ||
			e.ClientRef != "ref-hp" || e.Attempts != 1 || e.Channel != f.ch || e.ID != outs[1].EventID {
			f.t.Fatalf("event: %+v", e)
		}
		// Cancelling a final request changes nothing.
		res, err := f.st.CancelRequest(f.ctx, "hp")
		if err != nil || res.Cancelled != 0 || res.InFlight != 0 || len(res.Submitted) != 0 {
			f.t.Fatalf("cancel of a final request: %+v %v", res, err)
		}
		if got := f.get("hp"); got.Status != RequestDelivered || !got.CancelledAt.IsZero() {
			f.t.Fatalf("after cancel of a final request: %s %v", got.Status, got.CancelledAt)
		}
		assertChannelSlot(f)
	})
}

// assertChannelSlot checks that every key the test wrote is either a
// channel key (under the channel tag) or one of the two global kinds.
func assertChannelSlot(f *fixture) {
	f.t.Helper()
	k := f.st.Keys()
	// The global kinds' prefixes, as keys.go builds them (empty id, empty
	// tenant and key: "<p>:reqidx:" and "<p>:idem:").
	index := k.RequestIndex("")
	idem := strings.TrimSuffix(k.Idempotency("", ""), ":")
	for _, key := range f.env.Keys(f.t) {
		if strings.HasPrefix(key, k.Tag(f.ch)+":") ||
			strings.HasPrefix(key, index) || strings.HasPrefix(key, idem) {
			continue
		}
		f.t.Errorf("key %q outside the channel slot", key)
	}
}

func TestLeaseBatchesAndOrder(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("a", 3, 1)
		f.create("b", 1, 2)
		var ids []JobID
		for {
			jobs := f.lease(2)
			if len(jobs) == 0 {
				break
			}
			if len(jobs) > 2 {
				f.t.Fatalf("lease(2) returned %d", len(jobs))
			}
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
		}
		want := []JobID{"a:1:1", "a:2:1", "a:3:1", "b:1:1", "b:1:2"}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			f.t.Fatalf("lease order %v, want %v", ids, want)
		}
		if _, err := f.st.Lease(f.ctx, f.ch, "x", 0); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("Lease max 0: %v", err)
		}
		if _, err := f.st.Lease(f.ctx, "bad{ch}", "x", 1); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("Lease bad channel: %v", err)
		}
	})
}

func TestRecoverExpiredLease(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("rc", 1, 2)
		first := f.lease(1)
		if len(first) != 1 {
			f.t.Fatalf("leased %d", len(first))
		}
		if n, err := f.st.Recover(f.ctx, f.ch); err != nil || n != (Recovery{}) {
			f.t.Fatalf("Recover before expiry: %+v %v", n, err)
		}
		f.clock.Advance(DefaultLeaseTTL + time.Millisecond)
		n, err := f.st.Recover(f.ctx, f.ch)
		if err != nil || n != (Recovery{Jobs: 1}) {
			f.t.Fatalf("Recover after expiry: %+v %v", n, err)
		}
		if st := f.get("rc").Recipients[0].Segments[0]; st.State != JobQueued || st.Attempts != 1 || st.LeaseOwner != "" {
			f.t.Fatalf("recovered job: %+v", st)
		}
		again := f.lease(5)
		if len(again) != 2 || again[0].ID != first[0].ID || again[0].Attempts != 2 || again[1].Attempts != 1 {
			f.t.Fatalf("re-lease: %+v", again)
		}
		if d := f.depth(); d.Leased != 2 || d.Pending != 0 {
			f.t.Fatalf("depth: %+v", d)
		}
	})
}

func TestExtend(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("ex", 1, 2)
		jobs := f.lease(2)
		ids := []JobID{jobs[0].ID, jobs[1].ID}
		f.clock.Advance(DefaultLeaseTTL - time.Second)
		lost, err := f.st.Extend(f.ctx, f.ch, "sender-1", ids)
		if err != nil || len(lost) != 0 {
			f.t.Fatalf("Extend: %v %v", lost, err)
		}
		score, err := f.env.Client.ZScore(f.ctx, f.st.Keys().Lease(f.ch), string(ids[0])).Result()
		if err != nil || int64(score) != f.clock.Now().Add(DefaultLeaseTTL).UnixMilli() {
			f.t.Fatalf("lease deadline %v, want now+LeaseTTL", score)
		}
		f.clock.Advance(2 * time.Second) // past the original deadline, within the extended one
		if n, _ := f.st.Recover(f.ctx, f.ch); n != (Recovery{}) {
			f.t.Fatalf("extended lease recovered (%+v)", n)
		}
		if lost, _ := f.st.Extend(f.ctx, f.ch, "other", ids[:1]); len(lost) != 1 {
			f.t.Fatalf("Extend by another owner: lost %v", lost)
		}
		f.clock.Advance(DefaultLeaseTTL)
		if n, _ := f.st.Recover(f.ctx, f.ch); n != (Recovery{Jobs: 2}) {
			f.t.Fatalf("Recover: %+v", n)
		}
		lost, _ = f.st.Extend(f.ctx, f.ch, "sender-1", ids)
		if len(lost) != 2 {
			f.t.Fatalf("Extend after recovery: lost %v, want both", lost)
		}
	})
}

// Retry with an owner leaves a job leased by another sender alone.
func TestRetryChecksOwner(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("own", 1, 1)
		j := f.lease(1)[0] // leased by "sender-1"
		at := f.clock.Now().Add(time.Second)
		if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: j.ID, At: at, Owner: "sender-2"}}); err != nil || n != 0 {
			f.t.Fatalf("Retry by another owner: %d %v", n, err)
		}
		if d := f.depth(); d.Leased != 1 || d.Scheduled != 0 {
			f.t.Fatalf("depth after foreign retry: %+v", d)
		}
		if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: j.ID, At: at, Owner: "sender-1"}}); err != nil || n != 1 {
			f.t.Fatalf("Retry by the owner: %d %v", n, err)
		}
	})
}

func TestRetryScheduled(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("rt", 1, 1)
		f.create("other", 1, 1)
		j := f.lease(1)[0]
		n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: j.ID, At: f.clock.Now().Add(time.Second), Reason: "flow_control"}})
		if err != nil || n != 1 {
			f.t.Fatalf("Retry: %d %v", n, err)
		}
		if d := f.depth(); d.Scheduled != 1 || d.Leased != 0 {
			f.t.Fatalf("depth: %+v", d)
		}
		if st := f.get("rt").Recipients[0].Segments[0]; st.State != JobScheduled || st.ErrorCode != "flow_control" {
			f.t.Fatalf("scheduled job: %+v", st)
		}
		if got := f.lease(5); len(got) != 1 || got[0].ID != "other:1:1" {
			f.t.Fatalf("lease before due: %+v", got)
		}
		f.clock.Advance(time.Second)
		f.create("later", 1, 1)
		got := f.lease(5)
		if len(got) != 2 || got[0].ID != j.ID || got[0].Attempts != 2 || got[1].ID != "later:1:1" {
			f.t.Fatalf("lease after due: %+v", got)
		}
		// A submitted job is not rescheduled.
		f.submitOK(got[:1], 1)
		if n, _ := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: j.ID, At: f.clock.Now()}}); n != 0 {
			f.t.Fatalf("Retry of a submitted job applied %d", n)
		}
	})
}

func TestReportBeforeSubmitResp(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("pk", 1, 1)
		j := f.lease(1)[0]
		mid := msgID(77)
		outs := f.reports(rep(mid, "DELIVRD"))
		if outs[0].Result != ReportParked || outs[0].Job != "" {
			f.t.Fatalf("early report: %+v", outs[0])
		}
		k := f.st.Keys()
		if ttl := f.env.TTL(f.t, k.Park(f.ch, mid)); ttl <= 0 || ttl > DefaultParkTTL {
			f.t.Fatalf("park TTL %v", ttl)
		}
		// Submitted looks for parked reports only while the channel's
		// park flag lives: at least as long as the parked report.
		if ttl := f.env.TTL(f.t, k.Parked(f.ch)); ttl <= 0 || ttl > DefaultParkTTL {
			f.t.Fatalf("park flag TTL %v", ttl)
		}
		f.clock.Advance(time.Second)
		sum, err := f.st.Submitted(f.ctx, f.ch, []SubmitOutcome{{Job: j.ID, MsgID: mid}})
		if err != nil || sum.Submitted != 1 || sum.ParkedReports != 1 || len(sum.Events) != 1 {
			f.t.Fatalf("Submitted: %+v %v", sum, err)
		}
		if f.env.Exists(f.t, k.Park(f.ch, mid)) {
			f.t.Fatal("parked report not deleted")
		}
		got := f.get("pk")
		sg := got.Recipients[0].Segments[0]
		if got.Status != RequestDelivered || sg.State != JobDelivered || sg.MsgID != mid ||
			!sg.ReportedAt.Equal(f.clock.Now().Add(-time.Second)) {
			f.t.Fatalf("after parked match: %s %+v", got.Status, sg)
		}
		if d := f.depth(); d.AwaitingReports != 0 {
			f.t.Fatalf("still awaiting: %+v", d)
		}
	})
}

func TestDuplicateReportIgnored(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("dup", 1, 1)
		mids := f.submitOK(f.lease(1), 1)
		if o := f.reports(rep(mids[0], "UNDELIV")); o[0].Result != ReportMatched || o[0].EventID == "" {
			f.t.Fatalf("first: %+v", o)
		}
		o := f.reports(rep(mids[0], "DELIVRD"), rep(mids[0], "UNDELIV"))
		if o[0].Result != ReportDuplicate || o[1].Result != ReportDuplicate || o[0].EventID != "" {
			f.t.Fatalf("duplicates: %+v", o)
		}
		got := f.get("dup")
		if got.Status != RequestFailed || got.Recipients[0].ErrorCode != "UNDELIV" || got.Counts.Failed != 1 {
			f.t.Fatalf("after duplicates: %s %+v", got.Status, got.Recipients[0])
		}
		if d := f.depth(); d.EventsReady != 1 {
			f.t.Fatalf("duplicate created events: %+v", d)
		}
	})
}

func TestAcceptedIsInterim(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("acc", 1, 1)
		mids := f.submitOK(f.lease(1), 1)
		if o := f.reports(rep(mids[0], "ACCEPTD")); o[0].Result != ReportInterim {
			f.t.Fatalf("ACCEPTD: %+v", o)
		}
		got := f.get("acc")
		if sg := got.Recipients[0].Segments[0]; got.Status != RequestSubmitted || sg.State != JobSubmitted || sg.Stat != "ACCEPTD" {
			f.t.Fatalf("after ACCEPTD: %s %+v", got.Status, sg)
		}
		if o := f.reports(rep(mids[0], "DELIVRD")); o[0].Result != ReportMatched {
			f.t.Fatalf("DELIVRD: %+v", o)
		}
		if got := f.get("acc"); got.Status != RequestDelivered {
			f.t.Fatalf("final: %s", got.Status)
		}
	})
}

func TestRollups(t *testing.T) {
	backends(t, func(f *fixture) {
		// 4 recipients × 3 segments:
		//   r1 all DELIVRD → delivered
		//   r2 seg2 EXPIRED, seg3 UNDELIV → failed, error of seg 2 (lowest failed)
		//   r3 seg1 submit Result 13, seg2 no response → failed "submit_result_13"
		//   r4 seg3 report timeout → unknown
		f.create("ru", 4, 3)
		jobs := f.lease(12)
		var ok []Job
		for _, j := range jobs {
			if j.Recipient != 3 {
				ok = append(ok, j)
			}
		}
		mids := map[JobID]string{}
		for i, m := range f.submitOK(ok, 100) {
			mids[ok[i].ID] = m
		}
		sum, err := f.st.Submitted(f.ctx, f.ch, []SubmitOutcome{
			{Job: "ru:3:1", Result: 13},
			{Job: "ru:3:2", Unknown: true},
			{Job: "ru:3:3", MsgID: msgID(999)},
		})
		if err != nil || sum.Failed != 1 || sum.Unknown != 1 || sum.Submitted != 1 {
			f.t.Fatalf("Submitted: %+v %v", sum, err)
		}
		if got := f.get("ru"); got.Status != RequestSubmitted {
			f.t.Fatalf("all submitted: %s", got.Status)
		}
		// reports in an order where r2's seg3 fails before seg2
		f.reports(
			rep(mids["ru:1:1"], "DELIVRD"), rep(mids["ru:1:2"], "DELIVRD"), rep(mids["ru:1:3"], "DELIVRD"),
			rep(mids["ru:2:1"], "DELIVRD"), rep(mids["ru:2:3"], "UNDELIV"), rep(mids["ru:2:2"], "EXPIRED"),
			rep(msgID(999), "DELIVRD"),
			rep(mids["ru:4:1"], "DELIVRD"), rep(mids["ru:4:2"], "DELIVRD"),
		)
		got := f.get("ru")
		want := []struct {
			st  RecipientStatus
			err string
		}{{RecipientDelivered, ""}, {RecipientFailed, "EXPIRED"}, {RecipientFailed, "submit_result_13"}, {RecipientSubmitted, ""}}
		for i, w := range want {
			if rc := got.Recipients[i]; rc.Status != w.st || rc.ErrorCode != w.err {
				f.t.Errorf("recipient %d: %s %q, want %s %q", i+1, rc.Status, rc.ErrorCode, w.st, w.err)
			}
		}
		if sg := got.Recipients[2].Segments[1]; sg.State != JobUnknown || sg.ErrorCode != ErrCodeNoResponse || sg.HasSubmitResult {
			f.t.Fatalf("no-response segment: %+v", sg)
		}
		if sg := got.Recipients[2].Segments[0]; sg.State != JobFailed || sg.SubmitResult != 13 || !sg.HasSubmitResult {
			f.t.Fatalf("result-13 segment: %+v", sg)
		}
		if got.Status != RequestSubmitted {
			f.t.Fatalf("status %s", got.Status)
		}
		// The sweeper makes r4 seg3 unknown once ReportWait has passed.
		if n, err := f.st.SweepReportWait(f.ctx, f.ch, f.clock.Now().Add(DefaultReportWait-time.Second)); err != nil || n != 0 {
			f.t.Fatalf("early sweep: %d %v", n, err)
		}
		n, err := f.st.SweepReportWait(f.ctx, f.ch, f.clock.Now().Add(DefaultReportWait))
		if err != nil || n != 1 {
			f.t.Fatalf("sweep: %d %v", n, err)
		}
		got = f.get("ru")
		if rc := got.Recipients[3]; rc.Status != RecipientUnknown || rc.ErrorCode != ErrCodeReportTimeout {
			f.t.Fatalf("swept recipient: %+v", rc)
		}
		if got.Status != RequestPartiallyDelivered || got.Counts.Delivered != 1 || got.Counts.Failed != 2 ||
			got.Counts.Unknown != 1 || got.Counts.Pending != 0 {
			f.t.Fatalf("final: %s %+v", got.Status, got.Counts)
		}
		// A late report for the swept job is ignored.
		if o := f.reports(rep(mids["ru:4:3"], "DELIVRD")); o[0].Result != ReportDuplicate {
			f.t.Fatalf("late report: %+v", o)
		}
		if d := f.depth(); d.EventsReady != 4 || d.AwaitingReports != 0 {
			f.t.Fatalf("depth: %+v", d)
		}
	})
}

func TestAllFailedAndNoCallback(t *testing.T) {
	backends(t, func(f *fixture) {
		req := f.request("nf", 2, 1)
		req.CallbackURL = ""
		if err := f.st.CreateRequest(f.ctx, req); err != nil {
			f.t.Fatal(err)
		}
		jobs := f.lease(2)
		sum, err := f.st.Submitted(f.ctx, f.ch, []SubmitOutcome{
			{Job: jobs[0].ID, Result: 8, ErrorCode: "flow_control"},
			{Job: jobs[1].ID, Result: 1},
		})
		if err != nil || sum.Failed != 2 || len(sum.Events) != 0 {
			f.t.Fatalf("Submitted: %+v %v", sum, err)
		}
		got := f.get("nf")
		if got.Status != RequestFailed || got.Recipients[0].ErrorCode != "flow_control" ||
			got.Recipients[1].ErrorCode != "submit_result_1" {
			f.t.Fatalf("final: %s %+v", got.Status, got.Recipients)
		}
		if d := f.depth(); d.EventsReady != 0 {
			f.t.Fatalf("events without callback URL: %+v", d)
		}
	})
}

func TestStaleSubmitAfterLostLease(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("st", 1, 1)
		a := f.lease(1)[0]
		f.clock.Advance(DefaultLeaseTTL + time.Millisecond)
		if n, _ := f.st.Recover(f.ctx, f.ch); n != (Recovery{Jobs: 1}) {
			f.t.Fatalf("recover %+v", n)
		}
		// Sender A's SUBMIT_RESP arrives after its lease was recovered: the
		// job is still unsent, so the outcome is recorded.
		f.submitOK([]Job{a}, 1)
		// Sender B leases nothing: the queued copy is dropped by Lease.
		if got := f.lease(5); len(got) != 0 {
			f.t.Fatalf("stale queued job leased: %+v", got)
		}
		// A second outcome for the same job is stale.
		sum, err := f.st.Submitted(f.ctx, f.ch, []SubmitOutcome{{Job: a.ID, MsgID: msgID(2)}})
		if err != nil || sum.Stale != 1 || sum.Submitted != 0 {
			f.t.Fatalf("second outcome: %+v %v", sum, err)
		}
		if sg := f.get("st").Recipients[0].Segments[0]; sg.MsgID != msgID(1) {
			f.t.Fatalf("msg id overwritten: %+v", sg)
		}
		if _, err := f.st.Submitted(f.ctx, f.ch, []SubmitOutcome{{Job: a.ID}}); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("Result 0 without MsgID: %v", err)
		}
		if _, err := f.st.Reports(f.ctx, f.ch, []ReportIn{{MsgID: "a|b", Stat: "DELIVRD"}}); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("report with '|' msg id: %v", err)
		}
	})
}

func TestRetryOnlyLeased(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("ol", 1, 1)
		j := f.lease(1)[0]
		f.clock.Advance(DefaultLeaseTTL + time.Millisecond)
		if n, _ := f.st.Recover(f.ctx, f.ch); n != (Recovery{Jobs: 1}) {
			f.t.Fatalf("recover %+v", n)
		}
		// The job is queued again: a late Retry from the old sender must
		// not schedule a second copy.
		if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: j.ID, At: f.clock.Now().Add(time.Hour)}}); err != nil || n != 0 {
			f.t.Fatalf("Retry of a recovered job: %d %v", n, err)
		}
		if d := f.depth(); d.Scheduled != 0 || d.Pending != 1 {
			f.t.Fatalf("depth %+v", d)
		}
		if got := f.lease(5); len(got) != 1 || got[0].Attempts != 2 {
			f.t.Fatalf("lease: %+v", got)
		}
	})
}
