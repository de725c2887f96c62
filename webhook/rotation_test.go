package webhook

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// A webhook secret rotation: during the overlap every POST carries two v1
// values (the new secret's first) and a receiver that still holds only
// the old secret verifies them; once the overlap has passed, only the new
// secret signs.
func TestSecretRotationOverlap(t *testing.T) {
	const oldSecret, newSecret = testSecret, "whsec_new_0123456789"
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	rotated := time.Now()
	a := acme("")
	a.WebhookSecret = newSecret
	a.State.PreviousSecret, a.State.PreviousUntil = oldSecret, rotated.Add(time.Hour)
	snap := registry.NewSnapshot(1, []registry.Tenant{a}, []registry.Channel{{Name: testChannel, SrcID: "10690"}})
	var clock atomic.Int64 // offset from the real time, for the tenants' view only
	ts := RegistryTenants{
		Snapshot: func() *registry.Snapshot { return snap },
		Now:      func() time.Time { return time.Now().Add(time.Duration(clock.Load())) },
	}
	cfg := f.fastConfig(ts)
	start(t, cfg)

	_, during := f.seedStatus("acme", rc.srv.URL+"/hook", 1, 1, delivrd)
	testenv.WaitFor(t, waitLong, "event acked during the overlap", func() bool { return f.acked(during[0]) })
	clock.Store(int64(2 * time.Hour)) // the overlap is over
	_, after := f.seedStatus("acme", rc.srv.URL+"/hook", 1, 1, delivrd)
	testenv.WaitFor(t, waitLong, "event acked after the overlap", func() bool { return f.acked(after[0]) })

	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(reqs))
	}
	for i, q := range reqs {
		h := q.header.Get(SignatureHeader)
		wantV1 := []int{2, 1}[i]
		if n := strings.Count(h, "v1="); n != wantV1 {
			t.Errorf("request %d: %d v1 values in %q, want %d", i, n, h, wantV1)
		}
		if err := Verify(newSecret, h, q.body, time.Now(), time.Minute); err != nil {
			t.Errorf("request %d: the new secret does not verify: %v", i, err)
		}
		oldErr := Verify(oldSecret, h, q.body, time.Now(), time.Minute)
		if i == 0 && oldErr != nil {
			t.Errorf("during the overlap a receiver holding only the old secret: %v", oldErr)
		}
		if i == 1 && oldErr == nil {
			t.Error("after the overlap the old secret still verifies")
		}
		// The new secret's value comes first.
		parts := strings.Split(h, ",")
		if Verify(newSecret, parts[0]+","+parts[1], q.body, time.Now(), time.Minute) != nil {
			t.Errorf("request %d: the first v1 of %q is not the new secret's", i, h)
		}
	}
}
