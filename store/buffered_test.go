package store

import "testing"

// Scripts buffer a request's writes and counters and apply them with one
// HSET per request at the end of the call (lib.lua flush). Every segment
// of a 2×3 request is reported in ONE Reports call: the recipient rollups
// (which read the segments written earlier in the same call), the
// counters and the request's end (fin, TTL, finals) must come out as if
// the writes had been applied one by one.
func TestBufferedWritesRollUpInOneCall(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("bw", 2, 3)
		jobs := f.lease(6)
		mids := f.submitOK(jobs, 500)
		reps := make([]ReportIn, len(mids))
		for i, mid := range mids {
			reps[i] = rep(mid, "DELIVRD")
			if jobs[i].ID == "bw:2:2" {
				reps[i] = rep(mid, "UNDELIV")
			}
		}
		outs, err := f.st.Reports(f.ctx, f.ch, reps)
		if err != nil {
			f.t.Fatalf("Reports: %v", err)
		}
		for i, o := range outs {
			if o.Result != ReportMatched {
				f.t.Fatalf("report %d: %+v", i, o)
			}
		}
		got := f.get("bw")
		c := got.Counts
		if got.Status != RequestPartiallyDelivered || c.Delivered != 1 || c.Failed != 1 || c.Pending != 0 ||
			c.JobsByState[JobDelivered] != 5 || c.JobsByState[JobFailed] != 1 || got.FinishedAt.IsZero() {
			f.t.Fatalf("after one Reports call: %s %+v fin %v", got.Status, c, got.FinishedAt)
		}
		if r := got.Recipients[1]; r.Status != RecipientFailed || r.ErrorCode != "UNDELIV" {
			f.t.Fatalf("recipient 2: %s %q", r.Status, r.ErrorCode)
		}
		h := f.env.HGetAll(f.t, f.st.Keys().Request(f.ch, "bw"))
		for field, want := range map[string]string{"nsub": "6", "rfin": "2", "n_delivered": "1", "n_failed": "1",
			"rf:1": "3", "rf:2": "3"} {
			if h[field] != want {
				f.t.Errorf("%s = %q, want %q", field, h[field], want)
			}
		}
		if ttl := f.env.TTL(f.t, f.st.Keys().Request(f.ch, "bw")); ttl <= 0 {
			f.t.Errorf("request TTL %v after its end", ttl)
		}
	})
}
