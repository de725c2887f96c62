package store

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// TestBigRequest runs a 1000 × 10 request (10,000 jobs, beyond Lua's unpack
// limit) through create, lease, submit and reports in batches.
func TestBigRequest(t *testing.T) {
	backends(t, func(f *fixture) {
		R, S, batch := 1000, 10, 500
		if f.env.Kind == testenv.KindMiniredis {
			R = 100 // gopher-lua under -race is ~10x slower; the logic is the same
		}
		f.create("big", R, S)
		if d := f.depth(); d.Pending != int64(R*S) {
			f.t.Fatalf("pending %d", d.Pending)
		}
		n := 0
		for {
			jobs := f.lease(batch)
			if len(jobs) == 0 {
				break
			}
			mids := f.submitOK(jobs, n)
			reps := make([]ReportIn, len(mids))
			for i, m := range mids {
				reps[i] = rep(m, "DELIVRD")
			}
			for _, o := range f.reports(reps...) {
				if o.Result != ReportMatched {
					f.t.Fatalf("report %+v", o)
				}
			}
			n += len(jobs)
		}
		if n != R*S {
			f.t.Fatalf("processed %d jobs", n)
		}
		got := f.get("big")
		if got.Status != RequestDelivered || got.Counts.Delivered != R || got.Counts.JobsByState[JobDelivered] != R*S {
			f.t.Fatalf("final: %s %+v", got.Status, got.Counts)
		}
		if d := f.depth(); d.EventsReady != int64(R) || d.AwaitingReports != 0 || d.Leased != 0 {
			f.t.Fatalf("depth %+v", d)
		}
	})
}

// TestLeaseSkipsLongCancelledRun checks that Lease still returns work that
// sits behind more cancelled jobs than one call pops.
func TestLeaseSkipsLongCancelledRun(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("dead", 300, 10) // 3000 jobs
		f.create("live", 1, 1)
		if _, err := f.st.CancelRequest(f.ctx, "dead"); err != nil {
			f.t.Fatal(err)
		}
		var got []Job
		for range 5 {
			got = append(got, f.lease(4)...)
			if len(got) > 0 {
				break
			}
		}
		if len(got) != 1 || got[0].ID != "live:1:1" {
			f.t.Fatalf("leased %+v", got)
		}
	})
}

// TestStrictScriptsRejectCrossSlot shows the check the Cluster suite relies
// on: in "#!lua" form a script touching a key outside its declared slot
// fails, even when that slot lives on the same node.
func TestStrictScriptsRejectCrossSlot(t *testing.T) {
	env := testenv.Cluster(t)
	ctx := context.Background()
	bad := redis.NewScript("#!lua\nredis.call('SET', KEYS[1], '1')\nreturn redis.call('SET', ARGV[1], '1')")
	for i := range 8 {
		own := "{" + env.Prefix + ":a}:k"
		other := "{" + env.Prefix + ":" + string(rune('b'+i)) + "}:k"
		err := bad.Run(ctx, env.Client, []string{own}, other).Err()
		if err == nil || !strings.Contains(err.Error(), "Script attempted to access") {
			t.Fatalf("cross-slot access to %s: err=%v", other, err)
		}
	}
}
