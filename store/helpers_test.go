package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.UnixMilli(1_760_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is one test's store on one backend.
type fixture struct {
	t     *testing.T
	env   *testenv.RedisEnv
	st    *Store
	clock *clock
	ctx   context.Context
	ch    string
}

// backends runs fn against a real Redis (REDIS_ADDR or private), the 3-node
// Redis Cluster (proving every script is single-slot) and miniredis (demo
// mode).
func backends(t *testing.T, fn func(f *fixture)) {
	t.Helper()
	run := func(name string, open func(testing.TB) *testenv.RedisEnv) {
		t.Run(name, func(t *testing.T) {
			env := open(t)
			f := newFixture(t, env, Options{})
			// On the cluster, run the "#!lua" scripts: Redis 7 then
			// rejects any key outside the declared slot.
			f.st.strictSlots = env.Cluster
			fn(f)
		})
	}
	run("redis", testenv.Redis)
	run("cluster", testenv.Cluster)
	run("miniredis", testenv.Miniredis)
}

func newFixture(t *testing.T, env *testenv.RedisEnv, opts Options) *fixture {
	c := newClock()
	opts.Prefix = env.Prefix
	opts.Now = c.Now
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return &fixture{t: t, env: env, st: New(env.Client, opts), clock: c, ctx: ctx, ch: "cm1"}
}

// request returns a NewRequest with R recipients and S segments whose
// contents are binary (0x00, 0xff, '|' included).
func (f *fixture) request(id string, R, S int) NewRequest {
	req := NewRequest{
		ID: id, Tenant: "acme", Channel: f.ch, CallbackURL: "http://cb.example/hook",
		ClientRef: "ref-" + id, MsgFmt: 8, SrcExt: "01",
	}
	for r := 1; r <= R; r++ {
		req.Recipients = append(req.Recipients, fmt.Sprintf("1380013%04d", r))
	}
	for s := 1; s <= S; s++ {
		udh := []byte{0x05, 0x00, 0x03, 0x7f, byte(S), byte(s)}
		req.Segments = append(req.Segments, Segment{
			Content: append(udh, 0x00, 0xff, '|', byte('a'+s)), UDHI: S > 1,
		})
	}
	return req
}

func (f *fixture) create(id string, R, S int) NewRequest {
	f.t.Helper()
	req := f.request(id, R, S)
	if err := f.st.CreateRequest(f.ctx, req); err != nil {
		f.t.Fatalf("CreateRequest %s: %v", id, err)
	}
	return req
}

func (f *fixture) lease(max int) []Job {
	f.t.Helper()
	jobs, err := f.st.Lease(f.ctx, f.ch, "sender-1", max)
	if err != nil {
		f.t.Fatalf("Lease: %v", err)
	}
	return jobs
}

func (f *fixture) get(id string) *Request {
	f.t.Helper()
	r, err := f.st.GetRequest(f.ctx, id)
	if err != nil {
		f.t.Fatalf("GetRequest %s: %v", id, err)
	}
	return r
}

func (f *fixture) submitOK(jobs []Job, midBase int) []string {
	f.t.Helper()
	outs := make([]SubmitOutcome, len(jobs))
	mids := make([]string, len(jobs))
	for i, j := range jobs {
		mids[i] = msgID(midBase + i)
		outs[i] = SubmitOutcome{Job: j.ID, MsgID: mids[i]}
	}
	sum, err := f.st.Submitted(f.ctx, f.ch, outs)
	if err != nil {
		f.t.Fatalf("Submitted: %v", err)
	}
	if sum.Submitted != len(jobs) {
		f.t.Fatalf("Submitted summary %+v, want %d submitted", sum, len(jobs))
	}
	return mids
}

func (f *fixture) reports(reps ...ReportIn) []ReportOutcome {
	f.t.Helper()
	out, err := f.st.Reports(f.ctx, f.ch, reps)
	if err != nil {
		f.t.Fatalf("Reports: %v", err)
	}
	return out
}

func (f *fixture) depth() QueueStats {
	f.t.Helper()
	q, err := f.st.QueueDepth(f.ctx, f.ch)
	if err != nil {
		f.t.Fatalf("QueueDepth: %v", err)
	}
	return q
}

// msgID returns a 22-digit Msg_Id text form.
func msgID(n int) string { return fmt.Sprintf("1122101012%07d%05d", 1001, n) }

func rep(mid, stat string) ReportIn {
	return ReportIn{MsgID: mid, Stat: stat, SubmitTime: "2511221010", DoneTime: "2511221011", Dest: "13800130001"}
}
