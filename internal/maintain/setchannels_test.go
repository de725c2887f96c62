package maintain

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// SetChannels starts a loop for a channel added at runtime (an expired
// lease on it is recovered) and stops the loop of a channel removed (an
// expired lease on it stays, while the channel still listed keeps being
// maintained).
func TestSetChannelsStartsAndStopsLoops(t *testing.T) {
	r := newRig(t, store.Options{})
	// lostOn leaves a job of channel leased by a worker that died.
	lostOn := func(channel, id string) {
		t.Helper()
		r.createOn(t, channel, id)
		// (Jobs recovered earlier are taken again too.)
		if jobs, err := r.dying.Lease(r.ctx, channel, "dying", 10); err != nil || len(jobs) == 0 {
			t.Fatalf("lease on %s: %v %v", channel, jobs, err)
		}
	}
	state := func(id string) store.JobState { return r.job(t, id).State }
	waitQueued := func(id string) {
		t.Helper()
		testenv.WaitFor(t, 10*time.Second, "job "+id+" recovered", func() bool { return state(id) == store.JobQueued })
	}

	lostOn(ch2, "early")
	if err := r.m.SetChannels([]string{ch, ch2}); err != nil {
		t.Fatal(err)
	}
	waitQueued("early") // the added channel is maintained

	if err := r.m.SetChannels([]string{ch}); err != nil {
		t.Fatal(err)
	}
	lostOn(ch2, "late")
	// Several passes of the channel still listed (each recovers a lease
	// lost after the previous one): a loop of ch2 would have run as often.
	for i := range 3 {
		id := fmt.Sprintf("still-%d", i)
		lostOn(ch, id)
		waitQueued(id)
	}
	if st := state("late"); st != store.JobLeased {
		t.Fatalf("job on the removed channel is %s, want still leased (no loop maintains it)", st)
	}

	if err := r.m.SetChannels([]string{ch, "unknown"}); err == nil {
		t.Fatal("a channel the hub does not know was accepted")
	}
	if err := r.m.SetChannels([]string{ch, ch2}); err != nil {
		t.Fatal(err)
	}
	waitQueued("late") // added again: maintained again
}
