package cmppserver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// submitAll sends n SUBMITs concurrently (the client's window is 16) and
// returns the answers in order.
func submitAll(t *testing.T, l *cmpp.Link, n int, mk func(i int) *cmpp.Submit) []*cmpp.SubmitResp {
	t.Helper()
	out := make([]*cmpp.SubmitResp, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, err := l.Submit(ctx, mk(i))
			var re *cmpp.ResultError
			if errors.As(err, &re) && r != nil {
				err = nil // a refusal: its Result is checked by the caller
			}
			out[i], errs[i] = r, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGroupCommitAnswersEverySubmit: 200 SUBMITs at window 16 (single and
// group sends, long segments with UDH) are all answered Result 0 with
// distinct Msg_Ids, each stored as request "cmpp-"+Msg_Id with the
// customer's content, UDH and Pk fields; invalid ones store nothing.
func TestGroupCommitAnswersEverySubmit(t *testing.T) {
	env := testenv.Redis(t)
	ts := startServer(t, env, Config{}, "r1", testTenant())
	l := ts.dial(t, cmpp.V30, nil)
	const n = 200
	mk := func(i int) *cmpp.Submit {
		p := ucs2Submit("13800138000")
		if i%5 == 0 {
			p.DestTerminalIDs = []string{"13800138000", "13900139000", "+8615000150000"}
		}
		if i%2 == 1 {
			p.PkTotal, p.PkNumber, p.TPUDHI = 2, uint8(1+i%4/2), 1
			p.MsgContent = []byte{5, 0, 3, byte(i), 2, p.PkNumber, 0x4f, 0x60}
		}
		return p
	}
	resps := submitAll(t, l, n, mk)
	seen := map[cmpp.MsgID]int{}
	for i, r := range resps {
		if r.Result != 0 {
			t.Fatalf("SUBMIT %d: Result %d", i, r.Result)
		}
		dests := len(mk(i).DestTerminalIDs)
		for k := range dests {
			id := r.MsgID.AddSequence(k)
			if j, dup := seen[id]; dup {
				t.Fatalf("Msg_Id %s of SUBMIT %d already used by SUBMIT %d", id, i, j)
			}
			seen[id] = i
		}
		if g := r.MsgID.Fields().Gateway; g != DefaultGatewayID {
			t.Fatalf("gateway %d", g)
		}
	}
	ctx := context.Background()
	for i, r := range resps {
		req, err := ts.st.GetRequest(ctx, RequestID(r.MsgID))
		if err != nil {
			t.Fatalf("SUBMIT %d: %v", i, err)
		}
		want := mk(i)
		if req.Tenant != "acme" || req.Channel != "ch1" || req.SrcExt != "799" || req.MsgFmt != 8 {
			t.Fatalf("SUBMIT %d stored as %+v", i, req)
		}
		if req.CMPP == nil || req.CMPP.MsgID != r.MsgID.String() || req.CMPP.Account != "910001" || !req.CMPP.Report {
			t.Fatalf("SUBMIT %d origin %+v", i, req.CMPP)
		}
		if len(req.Recipients) != len(want.DestTerminalIDs) {
			t.Fatalf("SUBMIT %d: %d recipients", i, len(req.Recipients))
		}
	}
	// One job's content and Pk fields, as the customer split it.
	checkJobs(t, ts, resps, mk)

	// Invalid SUBMITs: their Result, nothing stored.
	bad := ucs2Submit("13800138000")
	bad.SrcID = "1069"
	r := submitAll(t, l, 1, func(int) *cmpp.Submit { return bad })[0]
	if r.Result != resultSrcID || r.MsgID != 0 {
		t.Fatalf("foreign Src_Id: %+v", r)
	}
	usage, err := ts.st.Usage(ctx, []string{"ch1"}, "acme", 0, 0)
	if err != nil || len(usage) != 1 {
		t.Fatal(err)
	}
	waitMetric(t, ts, `smsbridge_cmpp_submits_total`, map[string]string{"account": "910001", "result": "0"}, n)
	waitMetric(t, ts, `smsbridge_cmpp_submits_total`, map[string]string{"account": "910001", "result": "10"}, 1)
	waitMetric(t, ts, `smsbridge_accepted_requests_total`, map[string]string{"channel": "ch1", "ingress": "cmpp"}, n)
}

// checkJobs leases the stored jobs and compares them with the SUBMITs.
func checkJobs(t *testing.T, ts *testServer, resps []*cmpp.SubmitResp, mk func(int) *cmpp.Submit) {
	t.Helper()
	byID := map[string]int{}
	for i, r := range resps {
		byID[RequestID(r.MsgID)] = i
	}
	ctx := context.Background()
	got := 0
	for range 100 {
		jobs, err := ts.st.Lease(ctx, "ch1", "test-sender", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 0 {
			break
		}
		for _, j := range jobs {
			i, ok := byID[j.RequestID]
			if !ok {
				t.Fatalf("unknown job %+v", j)
			}
			want := mk(i)
			if string(j.Content) != string(want.MsgContent) || j.UDHI != (want.TPUDHI == 1) ||
				j.PkTotal != want.PkTotal || j.PkNumber != want.PkNumber {
				t.Fatalf("job of SUBMIT %d: content %x udhi %v pk %d/%d; want %x %d %d/%d",
					i, j.Content, j.UDHI, j.PkTotal, j.PkNumber, want.MsgContent, want.TPUDHI, want.PkTotal, want.PkNumber)
			}
			got++
		}
	}
	wantJobs := 0
	for i := range resps {
		wantJobs += len(mk(i).DestTerminalIDs)
	}
	if got != wantJobs {
		t.Fatalf("%d jobs leased, want %d", got, wantJobs)
	}
}

// TestMsgIDsUniqueAcrossServers: two servers on one Redis assign Msg_Ids
// concurrently (small blocks force many reservations); none repeats.
func TestMsgIDsUniqueAcrossServers(t *testing.T) {
	env := testenv.Redis(t)
	a := startServer(t, env, Config{GatewayID: 7}, "r1", testTenant())
	b := startServer(t, env, Config{GatewayID: 7}, "r2", testTenant())
	la, lb := a.dial(t, cmpp.V30, nil), b.dial(t, cmpp.V20, nil)
	const n = 300
	mk := func(i int) *cmpp.Submit {
		if i%3 == 0 {
			return ucs2Submit("13800138000", "13800138001", "13800138002", "13800138003", "13800138004")
		}
		return ucs2Submit("13800138000")
	}
	var ra, rb []*cmpp.SubmitResp
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ra = submitAll(t, la, n, mk) }()
	go func() { defer wg.Done(); rb = submitAll(t, lb, n, mk) }()
	wg.Wait()
	seen := map[cmpp.MsgID]bool{}
	for _, rs := range [][]*cmpp.SubmitResp{ra, rb} {
		for i, r := range rs {
			if r.Result != 0 {
				t.Fatalf("Result %d", r.Result)
			}
			for k := range len(mk(i).DestTerminalIDs) {
				id := r.MsgID.AddSequence(k)
				if seen[id] {
					t.Fatalf("Msg_Id %s assigned twice", id)
				}
				seen[id] = true
			}
		}
	}
	// The allocator itself, from many goroutines of two allocators.
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	x, y := newMsgIDAlloc(st, 9), newMsgIDAlloc(st, 9)
	var mu sync.Mutex
	ids := map[cmpp.MsgID]bool{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			al := x
			if g%2 == 1 {
				al = y
			}
			for i := range 200 {
				n := 1 + i%7
				id, err := al.take(context.Background(), n)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for k := range n {
					if ids[id.AddSequence(k)] {
						t.Errorf("allocator: Msg_Id %s twice", id.AddSequence(k))
					}
					ids[id.AddSequence(k)] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestMsgIDNextSecondWhenExhausted: a second whose sequence numbers are
// used up (by another replica) moves the allocator to the next second.
func TestMsgIDNextSecondWhenExhausted(t *testing.T) {
	env := testenv.Redis(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	sec := time.Date(2026, 12, 6, 13, 0, 5, 0, msgIDZone)
	a := newMsgIDAlloc(st, 3)
	a.now = func() time.Time { return sec }
	ctx := context.Background()
	if _, err := st.ReserveMsgSeq(ctx, sec.Format("0102150405"), msgSeqPerSecond-10); err != nil {
		t.Fatal(err)
	}
	id, err := a.take(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	f := id.Fields()
	if f.Second != 6 || f.Minute != 0 || f.Sequence != 0 || f.Gateway != 3 {
		t.Fatalf("Msg_Id %s: fields %+v, want the next second", id, f)
	}
	id2, err := a.take(ctx, 1)
	if err != nil || id2 != id.AddSequence(20) {
		t.Fatalf("next Msg_Id %s (%v), want %s", id2, err, id.AddSequence(20))
	}
}

// TestAccountRateResult8: over max_submits_per_sec, SUBMITs get Result 8
// and nothing is stored for them.
func TestAccountRateResult8(t *testing.T) {
	env := testenv.Redis(t)
	tn := testTenant()
	tn.CMPP.MaxSubmitsPerSec = 10
	ts := startServer(t, env, Config{}, "r1", tn)
	l := ts.dial(t, cmpp.V30, nil)
	resps := submitAll(t, l, 60, func(int) *cmpp.Submit { return ucs2Submit("13800138000") })
	ok, flow := 0, 0
	for _, r := range resps {
		switch r.Result {
		case 0:
			ok++
		case resultFlow:
			flow++
			if r.MsgID != 0 {
				t.Fatalf("Result 8 with Msg_Id %s", r.MsgID)
			}
		default:
			t.Fatalf("Result %d", r.Result)
		}
	}
	// The burst is one second's worth (10); the test runs well within a
	// few seconds, so at most a few more pass.
	if ok < 10 || ok > 40 || flow < 20 {
		t.Fatalf("%d passed, %d Result 8", ok, flow)
	}
	u, err := ts.st.Usage(context.Background(), []string{"ch1"}, "acme", dayNow(ts), dayNow(ts))
	if err != nil {
		t.Fatal(err)
	}
	if u[0].Accepted != int64(ok) {
		t.Fatalf("%d segments accepted, want %d", u[0].Accepted, ok)
	}
}

// TestTenantLimits: the tenant's request rate gives Result 8 and its
// daily quota Result 101.
func TestTenantLimits(t *testing.T) {
	env := testenv.Redis(t)
	tn := testTenant()
	tn.Limits.MaxSegmentsPerDay = 7
	ts := startServer(t, env, Config{}, "r1", tn)
	l := ts.dial(t, cmpp.V30, nil)
	resps := submitAll(t, l, 5, func(int) *cmpp.Submit { return ucs2Submit("13800138000", "13800138001") })
	ok, quota := 0, 0
	for _, r := range resps {
		switch r.Result {
		case 0:
			ok++
		case resultQuota:
			quota++
		default:
			t.Fatalf("Result %d", r.Result)
		}
	}
	if ok != 3 || quota != 2 {
		t.Fatalf("%d passed, %d Result 101; want 3 and 2 (7 segments a day, 2 per SUBMIT)", ok, quota)
	}

	env2 := testenv.Redis(t)
	tn = testTenant()
	tn.Limits.MaxRequestsPerSec = 5
	ts2 := startServer(t, env2, Config{}, "r1", tn)
	l2 := ts2.dial(t, cmpp.V30, nil)
	flow := 0
	for _, r := range submitAll(t, l2, 40, func(int) *cmpp.Submit { return ucs2Submit("13800138000") }) {
		if r.Result == resultFlow {
			flow++
		} else if r.Result != 0 {
			t.Fatalf("Result %d", r.Result)
		}
	}
	if flow < 20 {
		t.Fatalf("%d Result 8 of 40 at 5/s", flow)
	}
}

// dayNow is the tenant's day now.
func dayNow(ts *testServer) int {
	snap := ts.reg.Snapshot()
	tn, _ := snap.Tenant("acme")
	now := time.Now().In(snap.Location(tn))
	_, off := now.Zone()
	return store.Day(now, off)
}

// TestMsgIDBlockGrowsWithLoad: a replica that handed out many Msg_Ids in
// one second reserves bigger blocks in the next (an eighth of the last
// second's use, at most msgIDBlockMax), so a steady load costs a few
// ReserveMsgSeq round trips a second rather than one per msgIDBlock; the
// Msg_Ids stay distinct and consecutive within a second.
func TestMsgIDBlockGrowsWithLoad(t *testing.T) {
	env := testenv.Redis(t)
	var rt roundTrips
	env.Client.AddHook(&rt)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	sec := time.Date(2026, 12, 6, 13, 0, 5, 0, msgIDZone)
	a := newMsgIDAlloc(st, 3)
	a.now = func() time.Time { return sec }
	ctx := context.Background()
	const perSecond = 8000
	trips := func(sec time.Time) int64 {
		before := rt.trips.Load()
		a.now = func() time.Time { return sec }
		var last cmpp.MsgID
		for i := range perSecond {
			id, err := a.take(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && id != last.AddSequence(1) {
				t.Fatalf("Msg_Id %s after %s, want consecutive numbers", id, last)
			}
			last = id
		}
		return rt.trips.Load() - before
	}
	if n := trips(sec); n != perSecond/msgIDBlock {
		t.Fatalf("first second: %d round trips, want %d (blocks of %d)", n, perSecond/msgIDBlock, msgIDBlock)
	}
	if n := trips(sec.Add(time.Second)); n != perSecond/(perSecond/8) {
		t.Fatalf("second second: %d round trips, want %d (blocks of %d)", n, 8, perSecond/8)
	}
	// After an idle second the block is small again.
	if _, err := a.take(ctx, 1); err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return sec.Add(3 * time.Second) }
	if _, err := a.take(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if a.end-a.next != msgIDBlock-1 {
		t.Fatalf("after an idle second: block of %d, want %d", a.end-a.next+1, msgIDBlock)
	}
}
