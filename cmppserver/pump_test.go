package cmppserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// collector records the DELIVERs a client got; fail makes the handler
// refuse them (no DELIVER_RESP).
type collector struct {
	mu   sync.Mutex
	got  []*cmpp.Deliver
	fail bool
}

func (c *collector) handle(_ context.Context, d *cmpp.Deliver) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, d)
	if c.fail {
		return errors.New("refused by the test")
	}
	return nil
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}

func (c *collector) all() []*cmpp.Deliver {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*cmpp.Deliver(nil), c.got...)
}

// pushMO queues n MO entries for account 910001 in ch1.
func pushMO(t *testing.T, st *store.Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		dup, err := st.PushCMPPMO(context.Background(), "ch1", "910001", fmt.Sprintf("op-%d", i), store.CMPPDeliver{
			Terminal: "13800138000", DestID: "10658000017", ServiceID: "SVC", MsgFmt: 8,
			Content: []byte{0, byte('a' + i%26)}, LinkID: "L1",
		})
		if err != nil || dup {
			t.Fatalf("push MO %d: dup %v, %v", i, dup, err)
		}
	}
}

// waiting is the account's ready and leased entries in ch1.
func waiting(t *testing.T, st *store.Store) (int64, int64) {
	t.Helper()
	r, l, err := st.CMPPWaiting(context.Background(), "ch1", "910001")
	if err != nil {
		t.Fatal(err)
	}
	return r, l
}

// TestPumpDeliversQueuedMO: MO queued while the account was offline
// reaches it after login (both versions), each once, acknowledged and
// removed; entries queued while it is online arrive at once (wake-up).
func TestPumpDeliversQueuedMO(t *testing.T) {
	for _, v := range []cmpp.Version{cmpp.V30, cmpp.V20} {
		t.Run(v.String(), func(t *testing.T) {
			env := testenv.Redis(t)
			ts := startServer(t, env, Config{ReportPoll: registry.Duration(time.Minute)}, "r1", testTenant())
			pushMO(t, ts.st, 0, 40)
			c := &collector{}
			ts.dial(t, v, c.handle)
			testenv.WaitFor(t, 10*time.Second, "40 MO delivered", func() bool { return c.count() >= 40 })
			testenv.WaitFor(t, 10*time.Second, "queue empty", func() bool {
				r, l := waiting(t, ts.st)
				return r == 0 && l == 0
			})
			// Online: the wake-up brings them well before the minute's poll.
			pushMO(t, ts.st, 40, 5)
			testenv.WaitFor(t, 10*time.Second, "5 more MO delivered", func() bool { return c.count() >= 45 })
			testenv.WaitFor(t, 10*time.Second, "queue empty again", func() bool {
				r, l := waiting(t, ts.st)
				return r == 0 && l == 0
			})
			seen := map[byte]int{}
			for _, d := range c.all() {
				if d.RegisteredDelivery != 0 || d.DestID != "10658000017" || d.SrcTerminalID != "13800138000" ||
					d.ServiceID != "SVC" || d.MsgFmt != 8 || len(d.MsgContent) != 2 {
					t.Fatalf("DELIVER %+v", d)
				}
				seen[d.MsgContent[1]]++
			}
			if c.count() != 45 {
				t.Fatalf("%d DELIVERs, want 45 (none twice)", c.count())
			}
			waitMetric(t, ts, "smsbridge_cmpp_delivers_total", map[string]string{"account": "910001", "kind": "mo", "outcome": "acked"}, 45)
			waitMetric(t, ts, "smsbridge_cmpp_deliver_seconds", nil, 45)
		})
	}
}

// TestPumpReleasesUnanswered: DELIVERs the client does not answer are
// resent, then released to the queue, and delivered over the next link.
func TestPumpReleasesUnanswered(t *testing.T) {
	env := testenv.Redis(t)
	cfg := Config{ReportResendAfter: registry.Duration(200 * time.Millisecond), ReportResendMax: 1,
		ReportPoll: registry.Duration(100 * time.Millisecond)}
	ts := startServer(t, env, cfg, "r1", testTenant())
	pushMO(t, ts.st, 0, 3)
	bad := &collector{fail: true}
	l := ts.dial(t, cmpp.V30, bad.handle)
	testenv.WaitFor(t, 10*time.Second, "released after the resends", func() bool {
		return metricSum(t, ts, "smsbridge_cmpp_delivers_total", map[string]string{"outcome": "released"}) >= 3
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = l.Close(ctx)
	cancel()
	testenv.WaitFor(t, 10*time.Second, "entries back in the queue", func() bool {
		r, lsd := waiting(t, ts.st)
		return r == 3 && lsd == 0
	})
	good := &collector{}
	ts.dial(t, cmpp.V30, good.handle)
	testenv.WaitFor(t, 10*time.Second, "delivered on the next link", func() bool { return good.count() == 3 })
	testenv.WaitFor(t, 10*time.Second, "acked", func() bool {
		r, lsd := waiting(t, ts.st)
		return r == 0 && lsd == 0
	})
}

// TestCancelAndReport: CANCEL of a queued SUBMIT succeeds once; the
// cancelled recipients come back as report DELIVERs (Stat CANCELD) with
// the SUBMIT_RESP Msg_Id (+k for a group send) in the layout of the
// link's version.
func TestCancelAndReport(t *testing.T) {
	for _, v := range []cmpp.Version{cmpp.V30, cmpp.V20} {
		t.Run(v.String(), func(t *testing.T) {
			env := testenv.Redis(t)
			ts := startServer(t, env, Config{}, "r1", testTenant())
			c := &collector{}
			l := ts.dial(t, v, c.handle)
			resp := submitAll(t, l, 1, func(int) *cmpp.Submit { return ucs2Submit("13800138000", "13900139000") })[0]
			if resp.Result != 0 {
				t.Fatalf("Result %d", resp.Result)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cr, err := l.Cancel(ctx, resp.MsgID)
			if err != nil || cr.SuccessID != 0 {
				t.Fatalf("CANCEL: %+v %v", cr, err)
			}
			cr, err = l.Cancel(ctx, resp.MsgID)
			if cr == nil || cr.SuccessID != 1 {
				t.Fatalf("second CANCEL: %+v %v", cr, err)
			}
			cr, _ = l.Cancel(ctx, resp.MsgID.AddSequence(500))
			if cr == nil || cr.SuccessID != 1 {
				t.Fatalf("CANCEL of an unknown Msg_Id: %+v", cr)
			}
			testenv.WaitFor(t, 10*time.Second, "two reports", func() bool { return c.count() >= 2 })
			want := map[cmpp.MsgID]string{resp.MsgID: "13800138000", resp.MsgID.AddSequence(1): "13900139000"}
			for _, d := range c.all() {
				r, err := d.Report()
				if err != nil {
					t.Fatal(err)
				}
				wantLen := cmpp.ReportLenLong
				if v != cmpp.V30 {
					wantLen = cmpp.ReportLenShort
				}
				if len(d.MsgContent) != wantLen || r.Stat != "CANCELD" || want[r.MsgID] != r.DestTerminalID ||
					d.SrcTerminalID != r.DestTerminalID || d.DestID != "106580000199" || d.ServiceID != "TEST" {
					t.Fatalf("report %+v in %+v", r, d)
				}
				if len(r.SubmitTime) != 10 || len(r.DoneTime) != 10 {
					t.Fatalf("times %q %q", r.SubmitTime, r.DoneTime)
				}
				delete(want, r.MsgID)
			}
			if len(want) != 0 || c.count() != 2 {
				t.Fatalf("reports missing %v (got %d)", want, c.count())
			}
		})
	}
}

// TestQuery answers from the tenant's usage of the day.
func TestQuery(t *testing.T) {
	env := testenv.Redis(t)
	ts := startServer(t, env, Config{}, "r1", testTenant())
	l := ts.dial(t, cmpp.V30, nil)
	resps := submitAll(t, l, 4, func(int) *cmpp.Submit { return ucs2Submit("13800138000", "13900139000") })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cr, err := l.Cancel(ctx, resps[0].MsgID); err != nil || cr.SuccessID != 0 {
		t.Fatalf("CANCEL: %+v %v", cr, err)
	}
	today := time.Now().In(store.CMPPTimeZone).Format("20060102")
	for _, qt := range []uint8{0, 1} {
		q, err := l.Query(ctx, &cmpp.Query{Time: today, QueryType: qt, QueryCode: "TEST"})
		if err != nil {
			t.Fatal(err)
		}
		if q.MTTLMsg != 8 || q.MTTlusr != 8 || q.MTWT != 6 || q.MTScs != 0 || q.MTFL != 0 || q.Time != today || q.QueryType != qt {
			t.Fatalf("QUERY type %d: %+v", qt, q)
		}
	}
	q, err := l.Query(ctx, &cmpp.Query{Time: "20200101"})
	if err != nil || q.MTTLMsg != 0 {
		t.Fatalf("another day: %+v %v", q, err)
	}
	q, err = l.Query(ctx, &cmpp.Query{Time: "2020xx01"})
	if err != nil || q.MTTLMsg != 0 || q.Time != "2020xx01" {
		t.Fatalf("bad Time: %+v %v", q, err)
	}
}

// TestBuildDeliverRejectsUnencodable: entries that cannot be encoded
// are refused (the pump drops them instead of looping).
func TestBuildDeliverRejectsUnencodable(t *testing.T) {
	e := &store.CMPPDeliver{Report: true, MsgID: "not-a-msg-id", Stat: "DELIVRD"}
	if _, err := buildDeliver(e, cmpp.V30, 1); err == nil {
		t.Fatal("bad Msg_Id accepted")
	}
	e = &store.CMPPDeliver{Terminal: "1234567890123456789012"}
	if _, err := buildDeliver(e, cmpp.V20, 1); err == nil {
		t.Fatal("22-byte terminal accepted in 2.0")
	}
	if _, err := buildDeliver(e, cmpp.V30, 1); err != nil {
		t.Fatalf("22-byte terminal in 3.0: %v", err)
	}
}
