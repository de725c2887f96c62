package store

import (
	"strconv"
	"testing"
	"time"
)

// partsRequest is request id with 4 recipients × 2 segments: recipient 1
// on the home (f.ch), 2 and 4 on cm2, 3 on cm3.
func partsRequest(f *fixture, id string) NewRequest {
	req := f.request(id, 4, 2)
	req.RecipientChannels = []string{"", "cm2", "cm3", "cm2"}
	return req
}

// leaseCh leases every job of channel and checks their count.
func leaseCh(f *fixture, ch string, want int) []Job {
	f.t.Helper()
	jobs, err := f.st.Lease(f.ctx, ch, "s-"+ch, 100)
	if err != nil || len(jobs) != want {
		f.t.Fatalf("Lease %s: %d jobs (%v), want %d", ch, len(jobs), err, want)
	}
	return jobs
}

// finish submits jobs on ch and reports them: stat per destination number.
func finish(f *fixture, ch string, jobs []Job, base int, stat func(dest string) string) {
	f.t.Helper()
	outs := make([]SubmitOutcome, len(jobs))
	reps := make([]ReportIn, len(jobs))
	for i, j := range jobs {
		outs[i] = SubmitOutcome{Job: j.ID, MsgID: msgID(base + i)}
		reps[i] = rep(msgID(base+i), stat(j.Dest))
	}
	if sum, err := f.st.Submitted(f.ctx, ch, outs); err != nil || sum.Submitted != len(jobs) {
		f.t.Fatalf("Submitted on %s: %+v %v", ch, sum, err)
	}
	if _, err := f.st.Reports(f.ctx, ch, reps); err != nil {
		f.t.Fatalf("Reports on %s: %v", ch, err)
	}
}

// checkChannels checks the channel of every recipient and segment of r.
func checkChannels(f *fixture, r *Request, want ...string) {
	f.t.Helper()
	if len(r.Recipients) != len(want) {
		f.t.Fatalf("%d recipients, want %d", len(r.Recipients), len(want))
	}
	for i, rc := range r.Recipients {
		if rc.Index != i+1 || rc.Channel != want[i] || rc.Number != f.request("x", len(want), 1).Recipients[i] {
			f.t.Errorf("recipient %d: index %d channel %q number %s, want channel %q", i+1, rc.Index, rc.Channel, rc.Number, want[i])
		}
		for _, sg := range rc.Segments {
			if sg.Channel != want[i] {
				f.t.Errorf("recipient %d segment %d on %q, want %q", i+1, sg.Index, sg.Channel, want[i])
			}
		}
	}
}

// A request whose recipients are on three channels is stored whole on its
// home and forwarded at once: each channel leases exactly its own
// recipients' jobs, GET merges the parts (every segment with its channel,
// the status rolled up over all), and each recipient's sms.status event
// comes from its channel with its public index.
func TestPartsCreateForwardGet(t *testing.T) {
	backends(t, func(f *fixture) {
		req := partsRequest(f, "p1")
		if err := f.st.CreateRequest(f.ctx, req); err != nil {
			t.Fatal(err)
		}
		r := f.get("p1")
		checkChannels(f, r, f.ch, "cm2", "cm3", "cm2")
		if r.Status != RequestQueued || r.Counts.Recipients != 4 || r.Counts.Jobs != 8 || r.Counts.JobsByState[JobQueued] != 8 {
			t.Fatalf("after create: %s %+v", r.Status, r.Counts)
		}
		home := leaseCh(f, f.ch, 2)
		cm2 := leaseCh(f, "cm2", 4)
		cm3 := leaseCh(f, "cm3", 2)
		for _, j := range home {
			if j.Dest != req.Recipients[0] {
				t.Errorf("home leased %s for %s", j.ID, j.Dest)
			}
		}
		for _, j := range cm2 {
			if j.Dest != req.Recipients[1] && j.Dest != req.Recipients[3] {
				t.Errorf("cm2 leased %s for %s", j.ID, j.Dest)
			}
		}
		if cm3[0].Dest != req.Recipients[2] || cm3[0].RequestID != "p1" {
			t.Errorf("cm3 leased %+v", cm3[0])
		}
		if r := f.get("p1"); r.Status != RequestSending || r.Counts.JobsByState[JobLeased] != 8 {
			t.Fatalf("after lease: %s %v", r.Status, r.Counts.JobsByState)
		}
		ok := func(string) string { return "DELIVRD" }
		finish(f, f.ch, home, 0, ok)
		finish(f, "cm2", cm2, 10, func(d string) string {
			if d == req.Recipients[3] {
				return "UNDELIV"
			}
			return "DELIVRD"
		})
		if r := f.get("p1"); r.Status != RequestSending || !r.FinishedAt.IsZero() || r.Counts.Pending != 1 {
			t.Fatalf("cm3 not final yet: %s %+v fin %v", r.Status, r.Counts, r.FinishedAt)
		}
		f.clock.Advance(time.Second)
		finish(f, "cm3", cm3, 20, ok)
		r = f.get("p1")
		checkChannels(f, r, f.ch, "cm2", "cm3", "cm2")
		if r.Status != RequestPartiallyDelivered || r.Counts.Delivered != 3 || r.Counts.Failed != 1 ||
			r.FinishedAt.IsZero() || r.Recipients[3].Status != RecipientFailed || r.Recipients[3].ErrorCode != "UNDELIV" {
			t.Fatalf("final: %s %+v fin %v r4 %s", r.Status, r.Counts, r.FinishedAt, r.Recipients[3].Status)
		}
		if !r.FinishedAt.Equal(f.clock.Now()) {
			t.Errorf("finished_at %v, want the last part's %v", r.FinishedAt, f.clock.Now())
		}
		// events: one per recipient, on its channel, with its public index
		for ch, want := range map[string][]int{f.ch: {1}, "cm2": {2, 4}, "cm3": {3}} {
			evs, err := f.st.LeaseEvents(f.ctx, ch, 10)
			if err != nil || len(evs) != len(want) {
				t.Fatalf("events on %s: %d %v", ch, len(evs), err)
			}
			for i, ev := range evs {
				if ev.RequestID != "p1" || ev.Channel != ch || ev.Recipient != want[i] || ev.To != req.Recipients[want[i]-1] {
					t.Errorf("event on %s: req %s r %d to %s, want r %d", ch, ev.RequestID, ev.Recipient, ev.To, want[i])
				}
			}
		}
		// single-channel requests keep their one hash: no part fields
		if f.create("one", 2, 1); hasParts(f.env.HGetAll(t, f.st.Keys().Request(f.ch, "one"))) {
			t.Error("one-channel request has part fields")
		}
	})
}

// A crash between the steps of a transfer (here: after create.lua, then
// after part_in.lua) loses nothing and duplicates nothing: until the
// transfer ends GET shows the recipients queued on their target, and
// RecoverTransfers finishes it with every job queued once.
func TestPartsCrashBetweenSteps(t *testing.T) {
	backends(t, func(f *fixture) {
		req := partsRequest(f, "pc")
		plan := req.plan()
		// create.lua alone: the forwarder died before forwarding
		v, _, err := f.st.createRequest(f.ctx, req, f.st.createArgs(req, plan, f.clock.Now(), time.Now().Add(time.Minute), "tok"))
		if err != nil || createOutcome(req.ID, v) != nil {
			t.Fatalf("create: %v %v", v, err)
		}
		r := f.get("pc")
		checkChannels(f, r, f.ch, "cm2", "cm3", "cm2")
		if r.Counts.JobsByState[JobQueued] != 8 || r.Status != RequestQueued {
			t.Fatalf("before forwarding: %s %v", r.Status, r.Counts.JobsByState)
		}
		if jobs, _ := f.st.Lease(f.ctx, "cm2", "s", 10); len(jobs) != 0 {
			t.Fatalf("cm2 leased %v before forwarding", jobs)
		}
		// part_in of the first transfer ran, part_done did not
		h := f.env.HGetAll(t, f.st.Keys().Request(f.ch, "pc"))
		first := plan.xids[0]
		for i := 0; i < 2; i++ { // a rerun of the step does nothing
			if _, err := f.st.transferIn(f.ctx, f.ch, "pc", h, first); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := f.st.RecoverTransfers(f.ctx, f.ch, time.Minute); err != nil || n != 0 {
			t.Fatalf("RecoverTransfers before the age: %d %v", n, err)
		}
		f.clock.Advance(2 * time.Minute)
		if n, err := f.st.RecoverTransfers(f.ctx, f.ch, time.Minute); err != nil || n != 2 {
			t.Fatalf("RecoverTransfers = %d, %v; want both transfers ended", n, err)
		}
		if n, err := f.st.RecoverTransfers(f.ctx, f.ch, 0); err != nil || n != 0 {
			t.Fatalf("second RecoverTransfers = %d, %v", n, err)
		}
		if f.env.Exists(t, f.st.Keys().Transfers(f.ch)) {
			t.Error("transfers ZSET left")
		}
		leaseCh(f, f.ch, 2)
		cm2 := leaseCh(f, "cm2", 4)
		leaseCh(f, "cm3", 2)
		seen := map[JobID]bool{}
		for _, j := range cm2 {
			if seen[j.ID] {
				t.Fatalf("job %s queued twice", j.ID)
			}
			seen[j.ID] = true
		}
		if jobs, _ := f.st.Lease(f.ctx, "cm2", "s", 10); len(jobs) != 0 {
			t.Fatalf("cm2 leased more: %v", jobs)
		}
		checkChannels(f, f.get("pc"), f.ch, "cm2", "cm3", "cm2")
	})
}

// Cancel reaches every part, including one whose transfer was pending.
func TestPartsCancel(t *testing.T) {
	backends(t, func(f *fixture) {
		req := partsRequest(f, "px")
		v, _, err := f.st.createRequest(f.ctx, req, f.st.createArgs(req, req.plan(), f.clock.Now(), time.Now().Add(time.Minute), "tok"))
		if err != nil || createOutcome(req.ID, v) != nil {
			t.Fatalf("create: %v %v", v, err)
		}
		res, err := f.st.CancelRequest(f.ctx, "px")
		if err != nil || res.Cancelled != 8 || len(res.Parts) != 2 {
			t.Fatalf("CancelRequest = %+v, %v", res, err)
		}
		r := f.get("px")
		if r.Status != RequestCancelled || r.Counts.Cancelled != 4 || r.FinishedAt.IsZero() {
			t.Fatalf("after cancel: %s %+v", r.Status, r.Counts)
		}
		checkChannels(f, r, f.ch, "cm2", "cm3", "cm2")
		for _, ch := range []string{f.ch, "cm2", "cm3"} {
			if jobs, _ := f.st.Lease(f.ctx, ch, "s", 10); len(jobs) != 0 {
				t.Fatalf("%s leased %v of a cancelled request", ch, jobs)
			}
		}
	})
}

// MoveUnsent moves only recipients none of whose segments may have
// reached an operator: never leased, or retried after a definite refusal.
// A job retried after a link loss, recovered after a lost lease, leased,
// submitted or final stays.
func TestMoveUnsentOnlyNeverSubmitted(t *testing.T) {
	backends(t, func(f *fixture) {
		later := f.clock.Now().Add(time.Hour)
		// "rec": its lease expired and was recovered (the SUBMIT may have
		// been written), then it was refused with Result 8 (definite)
		f.create("rec", 1, 1)
		f.lease(1)
		f.clock.Advance(time.Hour)
		if _, err := f.st.Recover(f.ctx, f.ch); err != nil {
			t.Fatal(err)
		}
		later = f.clock.Now().Add(time.Hour)
		j := f.lease(1)
		if len(j) != 1 || j[0].RequestID != "rec" {
			t.Fatalf("lease after recover: %v", j)
		}
		retry := func(j Job, unsent bool) {
			if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: j.ID, At: later, Reason: "x", Unsent: unsent}}); err != nil || n != 1 {
				t.Fatalf("Retry %s: %d %v", j.ID, n, err)
			}
		}
		retry(j[0], true)
		// "mu": r1 retried after Result 8, r2 after a link loss, r3 leased,
		// r4 submitted, r5 delivered, r6 failed at submit
		mu := f.create("mu", 6, 1)
		jobs := f.lease(6)
		if len(jobs) != 6 {
			t.Fatalf("leased %d", len(jobs))
		}
		retry(jobs[0], true)
		retry(jobs[1], false)
		if sum, err := f.st.Submitted(f.ctx, f.ch, []SubmitOutcome{
			{Job: jobs[3].ID, MsgID: msgID(1)}, {Job: jobs[4].ID, MsgID: msgID(2)}, {Job: jobs[5].ID, Result: 13},
		}); err != nil || sum.Submitted != 2 {
			t.Fatalf("Submitted %+v %v", sum, err)
		}
		f.reports(rep(msgID(2), "DELIVRD"))
		// "fresh": never leased, 2 recipients × 2 segments
		fresh := f.create("fresh", 2, 2)

		var asked []string
		toCM2 := func(tenant string, numbers []string) []string {
			if tenant != "acme" {
				t.Errorf("target asked for tenant %q", tenant)
			}
			asked = append(asked, numbers...)
			out := make([]string, len(numbers))
			for i := range out {
				out[i] = "cm2"
			}
			return out
		}
		res, err := f.st.MoveUnsent(f.ctx, f.ch, toCM2, 1)
		if err != nil || res.Requests != 1 || !res.More {
			t.Fatalf("MoveUnsent limit 1 = %+v, %v", res, err)
		}
		res2, err := f.st.MoveUnsent(f.ctx, f.ch, toCM2, 10)
		if err != nil || res2.More || res.Requests+res2.Requests != 2 || res.Recipients+res2.Recipients != 3 ||
			res.Segments+res2.Segments != 5 {
			t.Fatalf("MoveUnsent = %+v then %+v, %v; want mu r1 and fresh's 2 recipients", res, res2, err)
		}
		if len(asked) != 3 {
			t.Errorf("target asked for %v", asked)
		}
		if res, err := f.st.MoveUnsent(f.ctx, f.ch, toCM2, 10); err != nil || res.Requests != 0 {
			t.Fatalf("third MoveUnsent = %+v, %v", res, err)
		}
		if q, err := f.st.QueuedByTenant(f.ctx, f.ch); err != nil || q["acme"] != 0 {
			t.Errorf("cm1 queues after the move: %v %v (the moved jobs' entries stay dead there)", q, err)
		}
		moved := leaseCh(f, "cm2", 5)
		want := map[string]bool{mu.Recipients[0]: true, fresh.Recipients[0]: true, fresh.Recipients[1]: true}
		for _, j := range moved {
			if !want[j.Dest] {
				t.Errorf("cm2 leased %s for %s", j.ID, j.Dest)
			}
		}
		// on cm1, once due: only rec and mu r2 (the moved r1 is dead here)
		f.clock.Advance(2 * time.Hour)
		left := leaseCh(f, f.ch, 2)
		for _, j := range left {
			if j.ID != MakeJobID("rec", 1, 1) && j.ID != MakeJobID("mu", 2, 1) {
				t.Errorf("cm1 leased %s", j.ID)
			}
		}
		r := f.get("mu")
		checkChannels(f, r, "cm2", f.ch, f.ch, f.ch, f.ch, f.ch)
		if r.Recipients[4].Status != RecipientDelivered || r.Recipients[5].Status != RecipientFailed || r.Counts.Recipients != 6 {
			t.Fatalf("mu: %+v", r.Counts)
		}
		checkChannels(f, f.get("fresh"), "cm2", "cm2")
	})
}

// A CMPP-origin request routed over two channels: the report entry of a
// recipient in a part is queued on the part's channel under its public
// index (the customer's report Msg_Id derives from it), and the part's
// segments count accepted there once.
func TestPartsCMPPReport(t *testing.T) {
	backends(t, func(f *fixture) {
		req := f.cmppRequest("cmpp-p", 3, true)
		req.RecipientChannels = []string{"", "cm2", "cm2"}
		if err := f.st.CreateRequest(f.ctx, req); err != nil {
			t.Fatal(err)
		}
		jobs := leaseCh(f, "cm2", 2)
		finish(f, "cm2", jobs, 0, func(string) string { return "DELIVRD" })
		ds, _, err := f.st.LeaseCMPPDelivers(f.ctx, "cm2", "910001", "r1", 10, time.Minute, 72*time.Hour)
		if err != nil || len(ds) != 2 {
			t.Fatalf("report entries on cm2: %v %v", ds, err)
		}
		for _, d := range ds {
			r := 0
			for i, to := range req.Recipients {
				if to == d.Terminal {
					r = i + 1
				}
			}
			if r < 2 || d.ID != "cmpp-p:"+strconv.Itoa(r) || d.MsgID != recipientMsgID(r) {
				t.Errorf("entry %s for %s: msg id %s, want recipient %d's %s", d.ID, d.Terminal, d.MsgID, r, recipientMsgID(r))
			}
		}
		day := Day(f.clock.Now(), 0)
		for ch, want := range map[string]string{f.ch: "1", "cm2": "2"} {
			if got, _ := f.env.Client.HGet(f.ctx, f.st.Keys().Usage(ch, "acme", day), "a").Result(); got != want {
				t.Errorf("accepted on %s: %q, want %s", ch, got, want)
			}
		}
	})
}

// A whole one-channel request moves with MoveQueued's steps, whose
// move_out.lua (unsent-only) refuses a request with a job that may have
// been sent, even if MoveUnsent's first look missed it.
func TestMoveUnsentWholeRequest(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("lost", 1, 1)
		j := f.lease(1)
		if n, err := f.st.Retry(f.ctx, f.ch, []RetryJob{{ID: j[0].ID, At: f.clock.Now(), Reason: "link_lost"}}); err != nil || n != 1 {
			t.Fatalf("Retry %d %v", n, err)
		}
		if _, state, err := f.st.moveOutIf(f.ctx, f.ch, "cm2", "lost", true); err != nil || state != "left" {
			t.Fatalf("move out (unsent only) of a possibly sent request: %q %v", state, err)
		}
		f.create("whole", 2, 1)
		res, err := f.st.MoveUnsent(f.ctx, f.ch, func(_ string, n []string) []string { return []string{"cm2", "cm2"}[:len(n)] }, 10)
		if err != nil || res.Requests != 1 || res.Recipients != 2 || res.Segments != 2 {
			t.Fatalf("MoveUnsent = %+v, %v; want only whole", res, err)
		}
		if ch, err := f.st.ChannelOf(f.ctx, "whole"); err != nil || ch != "cm2" {
			t.Fatalf("index of whole: %q %v", ch, err)
		}
		if f.env.Exists(t, f.st.Keys().Request(f.ch, "whole")) {
			t.Error("source hash of whole left")
		}
		leaseCh(f, "cm2", 2)
		if jobs := f.lease(10); len(jobs) != 1 || jobs[0].RequestID != "lost" {
			t.Fatalf("cm1 leased %v, want lost's retry only", jobs)
		}
	})
}

// A request that named its channel (Pinned) stays on it through failover;
// an unpinned one beside it moves.
func TestMoveUnsentLeavesPinned(t *testing.T) {
	backends(t, func(f *fixture) {
		pinned := f.request("pinned", 1, 1)
		pinned.Pinned = true
		if err := f.st.CreateRequest(f.ctx, pinned); err != nil {
			t.Fatal(err)
		}
		f.create("free", 1, 1)
		res, err := f.st.MoveUnsent(f.ctx, f.ch, func(_ string, n []string) []string { return []string{"cm2"}[:len(n)] }, 10)
		if err != nil || res.Requests != 1 || res.Recipients != 1 {
			t.Fatalf("MoveUnsent = %+v, %v; want only free", res, err)
		}
		if ch, err := f.st.ChannelOf(f.ctx, "pinned"); err != nil || ch != f.ch {
			t.Fatalf("pinned is on %q (%v), want %q", ch, err, f.ch)
		}
		leaseCh(f, "cm2", 1)
		if jobs := f.lease(10); len(jobs) != 1 || jobs[0].RequestID != "pinned" {
			t.Fatalf("%s leased %v, want pinned's job", f.ch, jobs)
		}
	})
}

// CreateRequests (the CMPP server's group commit) stores a request on
// several channels like CreateRequest, next to one-channel requests.
func TestPartsCreateRequests(t *testing.T) {
	backends(t, func(f *fixture) {
		multi := f.cmppRequest("cmpp-m", 2, false)
		multi.RecipientChannels = []string{"cm2", "cm2"}
		single := f.cmppRequest("cmpp-s", 1, false)
		for i, err := range f.st.CreateRequests(f.ctx, []NewRequest{multi, single}) {
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		checkChannels(f, f.get("cmpp-m"), "cm2", "cm2")
		checkChannels(f, f.get("cmpp-s"), f.ch)
		leaseCh(f, "cm2", 2)
		leaseCh(f, f.ch, 1)
	})
}

// A MoveUnsent that died after unsent_out.lua (recipients marked moved,
// transfer record written, nothing forwarded) is finished by the next
// call: the recipient is queued on the target once, and GET shows it
// queued there meanwhile.
func TestMoveUnsentCrashAfterMarkOut(t *testing.T) {
	backends(t, func(f *fixture) {
		req := f.create("half", 2, 1)
		if _, err := f.st.run(f.ctx, "move unsent", scriptUnsentOut,
			[]string{f.st.keys.Request(f.ch, "half"), f.st.keys.Sched(f.ch), f.st.keys.Transfers(f.ch)},
			f.st.keys.Tag(f.ch), "half", ms(f.clock.Now()), moveXIDPrefix+"x1", "cm2", 1, 2); err != nil {
			t.Fatal(err)
		}
		checkChannels(f, f.get("half"), f.ch, "cm2")
		if jobs, _ := f.st.Lease(f.ctx, "cm2", "s", 10); len(jobs) != 0 {
			t.Fatalf("cm2 leased %v before forwarding", jobs)
		}
		none := func(_ string, n []string) []string { return make([]string, len(n)) }
		for i := 0; i < 2; i++ {
			if _, err := f.st.MoveUnsent(f.ctx, f.ch, none, 10); err != nil {
				t.Fatal(err)
			}
		}
		if j := leaseCh(f, "cm2", 1); j[0].Dest != req.Recipients[1] {
			t.Fatalf("cm2 leased %+v", j[0])
		}
		if j := leaseCh(f, f.ch, 1); j[0].Dest != req.Recipients[0] {
			t.Fatalf("cm1 leased %+v", j[0])
		}
		checkChannels(f, f.get("half"), f.ch, "cm2")
	})
}
