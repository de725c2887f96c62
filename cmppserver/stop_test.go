package cmppserver

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// TestStopAnswersSubmitsInHand: a server stopped under load answers
// every SUBMIT it stored with Result 0 before the link closes: the
// requests stored are exactly those answered Result 0.
func TestStopAnswersSubmitsInHand(t *testing.T) {
	env := testenv.Redis(t)
	ts := startServer(t, env, Config{}, "r1", testTenant())
	l := ts.dial(t, cmpp.V30, nil)
	var mu sync.Mutex
	var ok []cmpp.MsgID
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				r, err := l.Submit(ctx, ucs2Submit("13800138000"))
				cancel()
				if err != nil {
					return // Result 8 while draining, or the link closed
				}
				mu.Lock()
				ok = append(ok, r.MsgID)
				mu.Unlock()
			}
		}()
	}
	testenv.WaitFor(t, 10*time.Second, "some SUBMITs answered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ok) >= 200
	})
	ts.stop()
	wg.Wait()
	u, err := ts.st.Usage(context.Background(), []string{"ch1"}, "acme", dayNow(ts), dayNow(ts))
	if err != nil {
		t.Fatal(err)
	}
	if u[0].Accepted != int64(len(ok)) {
		t.Fatalf("%d requests stored, %d answered Result 0", u[0].Accepted, len(ok))
	}
	for _, id := range ok {
		if _, err := ts.st.GetRequest(context.Background(), RequestID(id)); err != nil {
			t.Fatalf("answered %s: %v", id, err)
		}
	}
}
