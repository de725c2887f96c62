package store

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// makeEvents creates n sms.status events (n one-recipient requests that
// fail at submit) and returns their ids.
func makeEvents(f *fixture, n int) []string {
	f.t.Helper()
	var outs []SubmitOutcome
	for i := range n {
		f.create("ev"+string(rune('a'+i)), 1, 1)
	}
	for _, j := range f.lease(n) {
		outs = append(outs, SubmitOutcome{Job: j.ID, Result: 9})
	}
	sum, err := f.st.Submitted(f.ctx, f.ch, outs)
	if err != nil || len(sum.Events) != n {
		f.t.Fatalf("Submitted: %+v %v", sum, err)
	}
	return sum.Events
}

func TestEventsLifecycle(t *testing.T) {
	backends(t, func(f *fixture) {
		ids := makeEvents(f, 3)
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 2)
		if err != nil || len(evs) != 2 || evs[0].ID != ids[0] || evs[1].ID != ids[1] || evs[0].Attempts != 1 {
			f.t.Fatalf("LeaseEvents: %+v %v", evs, err)
		}
		e0, e1 := evs[0], evs[1]
		if e0.Status != RecipientFailed || e0.ErrorCode != "submit_result_9" || !e0.CreatedAt.Equal(f.clock.Now()) {
			f.t.Fatalf("event: %+v", e0)
		}
		// Body: first render wins.
		b, err := f.st.SaveEventBody(f.ctx, f.ch, e0.ID, []byte(`{"v":1}`))
		if err != nil || string(b) != `{"v":1}` {
			f.t.Fatalf("SaveEventBody: %q %v", b, err)
		}
		if b, _ := f.st.SaveEventBody(f.ctx, f.ch, e0.ID, []byte(`{"v":2}`)); string(b) != `{"v":1}` {
			f.t.Fatalf("second SaveEventBody returned %q", b)
		}
		if _, err := f.st.SaveEventBody(f.ctx, f.ch, "nope", []byte("x")); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("SaveEventBody unknown: %v", err)
		}
		if f.env.Exists(f.t, f.st.Keys().Event(f.ch, "nope")) {
			f.t.Fatal("SaveEventBody created an orphan event")
		}
		// Ack e1.
		if err := f.st.AckEvent(f.ctx, f.ch, e1.ID); err != nil {
			f.t.Fatalf("AckEvent: %v", err)
		}
		if f.env.Exists(f.t, f.st.Keys().Event(f.ch, e1.ID)) {
			f.t.Fatal("acked event still stored")
		}
		if err := f.st.AckEvent(f.ctx, f.ch, e1.ID); !errors.Is(err, ErrNotLeased) {
			f.t.Fatalf("second ack: %v", err)
		}
		// Retry e0 in 10 s: not leasable before.
		if err := f.st.RetryEvent(f.ctx, f.ch, e0.ID, f.clock.Now().Add(10*time.Second), "HTTP 503"); err != nil {
			f.t.Fatal(err)
		}
		if err := f.st.RetryEvent(f.ctx, f.ch, e0.ID, f.clock.Now(), "x"); !errors.Is(err, ErrNotLeased) {
			f.t.Fatalf("retry of unleased event: %v", err)
		}
		if d := f.depth(); d.EventsScheduled != 1 || d.EventsLeased != 0 || d.EventsReady != 1 {
			f.t.Fatalf("depth: %+v", d)
		}
		evs, _ = f.st.LeaseEvents(f.ctx, f.ch, 5)
		if len(evs) != 1 || evs[0].ID != ids[2] {
			f.t.Fatalf("lease before retry due: %+v", evs)
		}
		f.clock.Advance(10 * time.Second)
		evs, _ = f.st.LeaseEvents(f.ctx, f.ch, 5)
		if len(evs) != 1 || evs[0].ID != e0.ID || evs[0].Attempts != 2 || evs[0].LastError != "HTTP 503" ||
			string(evs[0].Body) != `{"v":1}` {
			f.t.Fatalf("lease after retry due: %+v", evs)
		}
		// Dead-letter it.
		if err := f.st.DeadLetter(f.ctx, f.ch, e0.ID, "HTTP 410"); err != nil {
			f.t.Fatal(err)
		}
		if ttl := f.env.TTL(f.t, f.st.Keys().Event(f.ch, e0.ID)); ttl <= 0 || ttl > DefaultRetention {
			f.t.Fatalf("dead event TTL %v", ttl)
		}
		dead, err := f.st.ListDead(f.ctx, f.ch, 0, 10)
		if err != nil || len(dead) != 1 || dead[0].ID != e0.ID || dead[0].LastError != "HTTP 410" || dead[0].DeadAt.IsZero() {
			f.t.Fatalf("ListDead: %+v %v", dead, err)
		}
		if d, _ := f.st.ListDead(f.ctx, f.ch, 1, 10); len(d) != 0 {
			f.t.Fatalf("ListDead offset 1: %+v", d)
		}
		// Replay: ready again with attempts reset and the same body.
		if err := f.st.Replay(f.ctx, f.ch, e0.ID); err != nil {
			f.t.Fatal(err)
		}
		if err := f.st.Replay(f.ctx, f.ch, e0.ID); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("second replay: %v", err)
		}
		if ttl := f.env.TTL(f.t, f.st.Keys().Event(f.ch, e0.ID)); ttl != -1 {
			f.t.Fatalf("replayed event TTL %v, want none", ttl)
		}
		evs, _ = f.st.LeaseEvents(f.ctx, f.ch, 5)
		if len(evs) != 1 || evs[0].ID != e0.ID || evs[0].Attempts != 1 || string(evs[0].Body) != `{"v":1}` || !evs[0].DeadAt.IsZero() {
			f.t.Fatalf("replayed event: %+v", evs)
		}
		// Lease expiry: Recover makes leased events ready again.
		f.clock.Advance(DefaultEventLeaseTTL + time.Millisecond)
		n, err := f.st.Recover(f.ctx, f.ch)
		if err != nil || n != (Recovery{Events: 2}) { // e0 and ids[2]
			f.t.Fatalf("Recover events: %+v %v", n, err)
		}
		evs, _ = f.st.LeaseEvents(f.ctx, f.ch, 5)
		if len(evs) != 2 {
			f.t.Fatalf("after recover: %+v", evs)
		}
		for _, e := range evs {
			if err := f.st.AckEvent(f.ctx, f.ch, e.ID); err != nil {
				f.t.Fatal(err)
			}
		}
		if d := f.depth(); d.EventsReady+d.EventsLeased+d.EventsScheduled+d.EventsDead != 0 {
			f.t.Fatalf("events left: %+v", d)
		}
		if _, err := f.st.GetEvent(f.ctx, f.ch, e0.ID); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("GetEvent acked: %v", err)
		}
	})
}

func TestDeadLetterTrim(t *testing.T) {
	backends(t, func(f *fixture) {
		ids := makeEvents(f, 2)
		evs, _ := f.st.LeaseEvents(f.ctx, f.ch, 2)
		if len(evs) != 2 {
			f.t.Fatalf("leased %d", len(evs))
		}
		if err := f.st.DeadLetter(f.ctx, f.ch, ids[0], "x"); err != nil {
			f.t.Fatal(err)
		}
		f.clock.Advance(DefaultRetention + time.Second)
		if err := f.st.DeadLetter(f.ctx, f.ch, ids[1], "y"); err != nil {
			f.t.Fatal(err)
		}
		if d := f.depth(); d.EventsDead != 1 {
			f.t.Fatalf("dead set not trimmed: %+v", d)
		}
		if err := f.st.DeadLetter(f.ctx, f.ch, ids[1], "y"); !errors.Is(err, ErrNotLeased) {
			f.t.Fatalf("dead-letter twice: %v", err)
		}
	})
}

func TestAckEvents(t *testing.T) {
	backends(t, func(f *fixture) {
		ids := makeEvents(f, 4)
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 3)
		if err != nil || len(evs) != 3 {
			f.t.Fatalf("LeaseEvents: %+v %v", evs, err)
		}
		if err := f.st.AckEvents(f.ctx, f.ch, nil); err != nil {
			f.t.Fatalf("AckEvents(nil): %v", err)
		}
		// ids[3] is not leased: deleted anyway, reported by name.
		err = f.st.AckEvents(f.ctx, f.ch, []string{ids[0], ids[3], ids[1]})
		var nl *NotLeasedError
		if !errors.Is(err, ErrNotLeased) || !errors.As(err, &nl) || len(nl.IDs) != 1 || nl.IDs[0] != ids[3] {
			f.t.Fatalf("AckEvents with an unleased id: %v", err)
		}
		for _, id := range ids[:2] {
			if f.env.Exists(f.t, f.st.Keys().Event(f.ch, id)) {
				f.t.Fatalf("acked event %s still stored", id)
			}
		}
		if f.env.Exists(f.t, f.st.Keys().Event(f.ch, ids[3])) {
			f.t.Fatal("unleased event acked in a batch still stored")
		}
		if err := f.st.AckEvents(f.ctx, f.ch, []string{ids[2]}); err != nil {
			f.t.Fatalf("AckEvents: %v", err)
		}
		if d := f.depth(); d.EventsLeased != 0 {
			f.t.Fatalf("depth after acks: %+v", d)
		}
		if err := f.st.AckEvents(f.ctx, "bad:channel", ids[:1]); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("AckEvents bad channel: %v", err)
		}
	})
}

// TestAckEventsChunks acks more events than one script call takes.
func TestAckEventsChunks(t *testing.T) {
	env := testenv.Redis(t)
	f := newFixture(t, env, Options{})
	n := ackBatchMax + 7
	f.create("big", n, 1)
	jobs := f.lease(n)
	outs := make([]SubmitOutcome, len(jobs))
	for i, j := range jobs {
		outs[i] = SubmitOutcome{Job: j.ID, Result: 9}
	}
	if _, err := f.st.Submitted(f.ctx, f.ch, outs); err != nil {
		t.Fatal(err)
	}
	evs, err := f.st.LeaseEvents(f.ctx, f.ch, n)
	if err != nil || len(evs) != n {
		t.Fatalf("LeaseEvents: %d %v", len(evs), err)
	}
	ids := make([]string, n)
	for i, e := range evs {
		ids[i] = e.ID
	}
	if err := f.st.AckEvents(f.ctx, f.ch, ids); err != nil {
		t.Fatalf("AckEvents: %v", err)
	}
	if d := f.depth(); d.EventsLeased != 0 || d.EventsReady != 0 {
		t.Fatalf("depth after acks: %+v", d)
	}
	for _, id := range []string{ids[0], ids[ackBatchMax], ids[n-1]} {
		if f.env.Exists(t, f.st.Keys().Event(f.ch, id)) {
			t.Fatalf("acked event %s still stored", id)
		}
	}
}

// TestEventSegments: an sms.status event carries its recipient's final
// segment states, equal to what GetRequest returns (one- and
// multi-segment recipients, delivered and failed).
func TestEventSegments(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("segs2", 2, 2)
		jobs := f.lease(4)
		mids := f.submitOK(jobs, 100)
		var reps []ReportIn
		for i, j := range jobs {
			_, r, s, err := j.ID.Split()
			if err != nil {
				f.t.Fatal(err)
			}
			stat := "DELIVRD"
			if r == 2 && s == 2 {
				stat = "UNDELIV"
			}
			reps = append(reps, rep(mids[i], stat))
		}
		f.reports(reps...)
		makeEvents(f, 1) // a one-segment recipient failed at submit

		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 10)
		if err != nil || len(evs) != 3 {
			f.t.Fatalf("LeaseEvents: %+v %v", evs, err)
		}
		for _, ev := range evs {
			req := f.get(ev.RequestID)
			want := req.Recipients[ev.Recipient-1].Segments
			if len(ev.Segments) == 0 || !reflect.DeepEqual(ev.Segments, want) {
				f.t.Fatalf("event %s (request %s r %d) segments\n got %+v\nwant %+v",
					ev.ID, ev.RequestID, ev.Recipient, ev.Segments, want)
			}
		}
	})
}

func TestDecodeSegments(t *testing.T) {
	for _, bad := range []string{"", "d|1", "d|1|||||||||d"} {
		if got := decodeSegments(bad); got != nil {
			t.Errorf("decodeSegments(%q) = %+v, want nil", bad, got)
		}
	}
	got := decodeSegments("d|1|m1|0|DELIVRD|1000|2000|||2511221011|f|2|m2|0|UNDELIV|1000|2000|UNDELIV||")
	if len(got) != 2 || got[0].Index != 1 || got[0].State != JobDelivered || got[0].MsgID != "m1" ||
		!got[0].HasSubmitResult || got[1].Index != 2 || got[1].State != JobFailed || got[1].ErrorCode != "UNDELIV" {
		t.Fatalf("decodeSegments: %+v", got)
	}
}
