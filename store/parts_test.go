package store

import (
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
		if rc.Index != i+1 || rc.Channel != want[i] || rc.Number != f.request("x", 4, 1).Recipients[i] {
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
