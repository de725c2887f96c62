package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// Benchmarks run against testenv.Redis ($REDIS_ADDR or a private
// redis-server). Each reports segments/s (jobs per second through the
// measured call) and redis-µs/seg: the Redis server's CPU time (INFO cpu,
// user+sys) spent per segment during the timed loop, which does not depend
// on how busy the client machine is (it is only meaningful when nothing
// else uses that server). -benchmem shows the Go-side allocations.

func benchStore(b *testing.B) (*Store, *testenv.RedisEnv) {
	b.Helper()
	env := testenv.Redis(b)
	return New(env.Client, Options{Prefix: env.Prefix}), env
}

// fill creates requests with n jobs in total (1-segment requests of up to
// 1000 recipients, the worst case for reports: every report finalises a
// recipient and creates an event).
func fill(b *testing.B, st *Store, ch string, n int) { fillTenant(b, st, ch, "t", n) }

// fillTenant is fill for one tenant.
func fillTenant(b *testing.B, st *Store, ch, tenant string, n int) {
	b.Helper()
	ctx := context.Background()
	for i := 0; n > 0; i++ {
		R := min(n, 1000)
		req := NewRequest{ID: fmt.Sprintf("%s%d", tenant, i), Tenant: tenant, Channel: ch, CallbackURL: "http://cb",
			MsgFmt: 8, Segments: []Segment{{Content: make([]byte, 140)}}}
		for r := range R {
			req.Recipients = append(req.Recipients, fmt.Sprintf("138%08d", r))
		}
		if err := st.CreateRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
		n -= R
	}
}

// fill1 creates n requests of one recipient and one segment each (the
// common API case: every job is its own request).
func fill1(b *testing.B, st *Store, ch string, n int) {
	b.Helper()
	ctx := context.Background()
	for i := range n {
		req := NewRequest{ID: fmt.Sprintf("o%d", i), Tenant: "t", Channel: ch, CallbackURL: "http://cb",
			MsgFmt: 8, Recipients: []string{fmt.Sprintf("138%08d", i)}, Segments: []Segment{{Content: make([]byte, 140)}}}
		if err := st.CreateRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func leaseAll(b *testing.B, st *Store, ch string, batch, n int) [][]Job {
	b.Helper()
	var out [][]Job
	for got := 0; got < n; {
		jobs, err := st.Lease(context.Background(), ch, "bench", batch)
		if err != nil || len(jobs) == 0 {
			b.Fatalf("lease: %d %v", len(jobs), err)
		}
		out = append(out, jobs)
		got += len(jobs)
	}
	return out
}

func submitAll(b *testing.B, st *Store, ch string, batches [][]Job) [][]string {
	b.Helper()
	var mids [][]string
	n := 0
	for _, jobs := range batches {
		outs := make([]SubmitOutcome, len(jobs))
		m := make([]string, len(jobs))
		for i, j := range jobs {
			m[i] = msgID(n)
			n++
			outs[i] = SubmitOutcome{Job: j.ID, MsgID: m[i]}
		}
		if _, err := st.Submitted(context.Background(), ch, outs); err != nil {
			b.Fatal(err)
		}
		mids = append(mids, m)
	}
	return mids
}

// redisCPU returns the server's used_cpu_user + used_cpu_sys in seconds.
func redisCPU(b *testing.B, st *Store) float64 {
	b.Helper()
	info, err := st.Client().Info(context.Background(), "cpu").Result()
	if err != nil {
		return 0 // miniredis has no INFO cpu
	}
	total := 0.0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return total
}

// redisCommands returns the server's command counts (INFO commandstats):
// script calls (EVAL, EVALSHA) and every other command, those run by
// scripts included; INFO itself is not counted.
func redisCommands(b *testing.B, st *Store) (scripts, cmds float64) {
	b.Helper()
	info, err := st.Client().Info(context.Background(), "commandstats").Result()
	if err != nil {
		return 0, 0 // miniredis has no INFO commandstats
	}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ",")
		calls, _ := strconv.ParseFloat(n, 64)
		switch name {
		case "cmdstat_info":
		case "cmdstat_eval", "cmdstat_evalsha":
			scripts += calls
		default:
			cmds += calls
		}
	}
	return scripts, cmds
}

// timed runs the timed part of a benchmark and reports its metrics:
// segments/s, redis-µs/seg (server CPU), and the Redis script calls and
// commands per segment (commands run inside scripts included).
func timed(b *testing.B, st *Store, segments int, loop func()) {
	b.Helper()
	c0 := redisCPU(b, st)
	s0, n0 := redisCommands(b, st)
	b.ReportAllocs()
	b.ResetTimer()
	loop()
	b.StopTimer()
	c1 := redisCPU(b, st)
	s1, n1 := redisCommands(b, st)
	b.ReportMetric(float64(segments)/b.Elapsed().Seconds(), "segments/s")
	if c1 > 0 {
		b.ReportMetric((c1-c0)*1e6/float64(segments), "redis-µs/seg")
	}
	if s1 > 0 {
		b.ReportMetric((s1-s0)/float64(segments), "scripts/seg")
		b.ReportMetric((n1-n0)/float64(segments), "cmds/seg")
	}
}

func BenchmarkCreateRequest(b *testing.B) {
	for _, sz := range []struct{ R, S int }{{1, 1}, {100, 3}, {1000, 10}} {
		b.Run(fmt.Sprintf("%dx%d", sz.R, sz.S), func(b *testing.B) {
			st, _ := benchStore(b)
			ctx := context.Background()
			req := NewRequest{Tenant: "t", Channel: "bc", CallbackURL: "http://cb", MsgFmt: 8}
			for r := range sz.R {
				req.Recipients = append(req.Recipients, fmt.Sprintf("138%08d", r))
			}
			for range sz.S {
				req.Segments = append(req.Segments, Segment{Content: make([]byte, 134), UDHI: true})
			}
			timed(b, st, b.N*sz.R*sz.S, func() {
				for i := 0; i < b.N; i++ {
					req.ID = fmt.Sprintf("c%d", i)
					if err := st.CreateRequest(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkCreateRequests is the CMPP server's group commit: batches of
// 16 one-recipient, one-segment CMPP requests (compare with
// BenchmarkCreateRequest/1x1, one request per call).
func BenchmarkCreateRequests(b *testing.B) {
	const batch = 16
	st, _ := benchStore(b)
	ctx := context.Background()
	reqs := make([]NewRequest, batch)
	for i := range reqs {
		reqs[i] = NewRequest{Tenant: "t", Channel: "bc", MsgFmt: 8, Recipients: []string{"13800138000"},
			Segments: []Segment{{Content: make([]byte, 134), UDHI: true}}, PkTotal: 2, PkNumber: 1,
			CMPP: &CMPPOrigin{Account: "910001", MsgID: "1206101500000900100010", SrcID: "1065800001", ServiceID: "svc", Report: true}}
	}
	timed(b, st, b.N, func() {
		for i := 0; i < b.N; i += batch {
			n := min(batch, b.N-i)
			for k := range n {
				reqs[k].ID = fmt.Sprintf("c%d", i+k)
			}
			for k, err := range st.CreateRequests(ctx, reqs[:n]) {
				if err != nil {
					b.Fatal(k, err)
				}
			}
		}
	})
}

// fillCases are the queue fills of the send-path benchmarks: requests of
// up to 1000 recipients, and one-recipient requests ("1rcpt").
var fillCases = []struct {
	name  string
	batch int
	fill  func(*testing.B, *Store, string, int)
}{{"batch16", 16, fill}, {"batch64", 64, fill}, {"1rcpt/batch16", 16, fill1}, {"1rcpt/batch64", 64, fill1}}

func BenchmarkLease(b *testing.B) {
	for _, c := range fillCases {
		batch := c.batch
		b.Run(c.name, func(b *testing.B) {
			st, _ := benchStore(b)
			c.fill(b, st, "bl", b.N*batch)
			ctx := context.Background()
			timed(b, st, b.N*batch, func() {
				for i := 0; i < b.N; i++ {
					jobs, err := st.Lease(ctx, "bl", "bench", batch)
					if err != nil || len(jobs) != batch {
						b.Fatalf("lease: %d %v", len(jobs), err)
					}
				}
			})
		})
	}
}

// BenchmarkLeaseTenants is BenchmarkLease with the jobs spread over
// several backlogged tenants: each lease switches tenants every FairChunk
// jobs.
func BenchmarkLeaseTenants(b *testing.B) {
	for _, tenants := range []int{2, 8} {
		b.Run(fmt.Sprintf("tenants%d", tenants), func(b *testing.B) {
			const batch = 64
			st, _ := benchStore(b)
			for k := range tenants {
				fillTenant(b, st, "bt", fmt.Sprintf("t%d", k), (b.N*batch+tenants-1)/tenants)
			}
			ctx := context.Background()
			timed(b, st, b.N*batch, func() {
				for i := 0; i < b.N; i++ {
					jobs, err := st.Lease(ctx, "bt", "bench", batch)
					if err != nil || len(jobs) != batch {
						b.Fatalf("lease: %d %v", len(jobs), err)
					}
				}
			})
		})
	}
}

func BenchmarkSubmitted(b *testing.B) {
	for _, c := range fillCases {
		batch := c.batch
		b.Run(c.name, func(b *testing.B) {
			st, _ := benchStore(b)
			c.fill(b, st, "bs", b.N*batch)
			batches := leaseAll(b, st, "bs", batch, b.N*batch)
			outs := make([][]SubmitOutcome, len(batches))
			for k, jobs := range batches {
				for i, j := range jobs {
					outs[k] = append(outs[k], SubmitOutcome{Job: j.ID, MsgID: msgID(k*batch + i)})
				}
			}
			ctx := context.Background()
			timed(b, st, b.N*batch, func() {
				for _, o := range outs {
					if _, err := st.Submitted(ctx, "bs", o); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkReports(b *testing.B) {
	for _, c := range fillCases {
		batch := c.batch
		b.Run(c.name, func(b *testing.B) {
			st, _ := benchStore(b)
			c.fill(b, st, "br", b.N*batch)
			mids := submitAll(b, st, "br", leaseAll(b, st, "br", batch, b.N*batch))
			reps := make([][]ReportIn, len(mids))
			for k, m := range mids {
				for _, id := range m {
					reps[k] = append(reps[k], ReportIn{MsgID: id, Stat: "DELIVRD", DoneTime: "2511221011", SubmitTime: "2511221010", Dest: "13800138000"})
				}
			}
			ctx := context.Background()
			timed(b, st, b.N*batch, func() {
				for _, r := range reps {
					if _, err := st.Reports(ctx, "br", r); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkJobLifecycle is the store's whole cost per segment on the send
// path: Lease + Submitted + Reports for each batch, sequentially (one
// sender goroutine).
// The "1rcpt" variants (see fillCases) are the common API case: every job
// is its own request.
func BenchmarkJobLifecycle(b *testing.B) {
	for _, c := range fillCases {
		batch := c.batch
		b.Run(c.name, func(b *testing.B) {
			st, _ := benchStore(b)
			c.fill(b, st, "bj", b.N*batch)
			ctx := context.Background()
			n := 0
			timed(b, st, b.N*batch, func() {
				for i := 0; i < b.N; i++ {
					jobs, err := st.Lease(ctx, "bj", "bench", batch)
					if err != nil || len(jobs) != batch {
						b.Fatalf("lease: %d %v", len(jobs), err)
					}
					outs := make([]SubmitOutcome, len(jobs))
					reps := make([]ReportIn, len(jobs))
					for k, j := range jobs {
						outs[k] = SubmitOutcome{Job: j.ID, MsgID: msgID(n)}
						reps[k] = ReportIn{MsgID: msgID(n), Stat: "DELIVRD"}
						n++
					}
					if _, err := st.Submitted(ctx, "bj", outs); err != nil {
						b.Fatal(err)
					}
					if _, err := st.Reports(ctx, "bj", reps); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkEventOutbox is the outbox's cost per sms.status event: lease a
// batch (LeaseEvents) and ack it (AckEvents), as the webhook dispatcher
// does for delivered events. The events are made by real reports.
func BenchmarkEventOutbox(b *testing.B) {
	for _, batch := range []int{32, 128} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			st, _ := benchStore(b)
			n := b.N * batch
			fill(b, st, "be", n)
			mids := submitAll(b, st, "be", leaseAll(b, st, "be", 256, n))
			ctx := context.Background()
			for _, m := range mids {
				reps := make([]ReportIn, len(m))
				for i, id := range m {
					reps[i] = ReportIn{MsgID: id, Stat: "DELIVRD"}
				}
				if _, err := st.Reports(ctx, "be", reps); err != nil {
					b.Fatal(err)
				}
			}
			ids := make([]string, 0, batch)
			timed(b, st, n, func() {
				for range b.N {
					evs, err := st.LeaseEvents(ctx, "be", batch)
					if err != nil || len(evs) != batch {
						b.Fatalf("lease events: %d %v", len(evs), err)
					}
					ids = ids[:0]
					for i := range evs {
						ids = append(ids, evs[i].ID)
					}
					if err := st.AckEvents(ctx, "be", ids); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// redisMemory returns the server's used_memory in bytes (INFO memory).
func redisMemory(b *testing.B, st *Store) float64 {
	b.Helper()
	info, err := st.Client().Info(context.Background(), "memory").Result()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// BenchmarkQueuedMemory reports the Redis memory a queued segment costs
// (B/seg: INFO used_memory after creating the requests minus before,
// per segment; meaningful only when nothing else writes to that server,
// e.g. the private redis-server testenv starts without $REDIS_ADDR): a
// one-recipient API request and a 100-recipient bulk request, one
// 140-byte segment each, with a callback URL.
func BenchmarkQueuedMemory(b *testing.B) {
	for _, R := range []int{1, 100} {
		b.Run(fmt.Sprintf("%dx1", R), func(b *testing.B) {
			st, _ := benchStore(b)
			ctx := context.Background()
			req := NewRequest{Tenant: "t", Channel: "bm", CallbackURL: "http://cb.example/hook", MsgFmt: 8,
				Segments: []Segment{{Content: make([]byte, 140)}}}
			for r := range R {
				req.Recipients = append(req.Recipients, fmt.Sprintf("138%08d", r))
			}
			req.ID = "warm" // loads the script: not part of the measure
			if err := st.CreateRequest(ctx, req); err != nil {
				b.Fatal(err)
			}
			m0 := redisMemory(b, st)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req.ID = fmt.Sprintf("m%d", i)
				if err := st.CreateRequest(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if m1 := redisMemory(b, st); m1 > 0 {
				b.ReportMetric((m1-m0)/float64(b.N*R), "B/seg")
			}
		})
	}
}

// BenchmarkEventLifecycle is the Redis cost of an sms.status event from
// end to end: the reports that create the events (reports.lua), then
// LeaseEvents and AckEvents in batches, as the dispatcher does. The
// "nocb" variant runs the same reports for requests without a callback
// URL (no event): the difference between the two is the event's cost.
func BenchmarkEventLifecycle(b *testing.B) {
	const batch = 64
	for _, cb := range []string{"events", "nocb"} {
		b.Run(cb, func(b *testing.B) {
			st, _ := benchStore(b)
			ctx := context.Background()
			n := b.N * batch
			url := "http://cb.example/hook?x=1"
			if cb == "nocb" {
				url = ""
			}
			for i := 0; n > 0; i++ {
				R := min(n, 1000)
				req := NewRequest{ID: fmt.Sprintf("l%d", i), Tenant: "t", Channel: "bl", CallbackURL: url,
					ClientRef: "ref-42", MsgFmt: 8, Segments: []Segment{{Content: make([]byte, 140)}}}
				for r := range R {
					req.Recipients = append(req.Recipients, fmt.Sprintf("138%08d", r))
				}
				if err := st.CreateRequest(ctx, req); err != nil {
					b.Fatal(err)
				}
				n -= R
			}
			mids := submitAll(b, st, "bl", leaseAll(b, st, "bl", batch, b.N*batch))
			var all []string
			for _, m := range mids {
				all = append(all, m...)
			}
			ids := make([]string, 0, batch)
			timed(b, st, b.N*batch, func() {
				for i := range b.N {
					reps := make([]ReportIn, batch)
					for k := range reps {
						reps[k] = ReportIn{MsgID: all[i*batch+k], Stat: "DELIVRD"}
					}
					if _, err := st.Reports(ctx, "bl", reps); err != nil {
						b.Fatal(err)
					}
					if cb == "nocb" {
						continue
					}
					evs, err := st.LeaseEvents(ctx, "bl", batch)
					if err != nil || len(evs) != batch {
						b.Fatalf("lease events: %d %v", len(evs), err)
					}
					ids = ids[:0]
					for k := range evs {
						ids = append(ids, evs[k].ID)
					}
					if err := st.AckEvents(ctx, "bl", ids); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkEventMemory reports the Redis memory of waiting sms.status
// events (MEMORY USAGE, SAMPLES 0, of every event key and list of the
// channel, divided by the events): what an outage of a customer's webhook
// costs per undelivered event. It is deterministic: no timing involved.
func BenchmarkEventMemory(b *testing.B) {
	const n = 1000
	st, _ := benchStore(b)
	ctx := context.Background()
	var perEvent float64
	for i := range b.N {
		ch := fmt.Sprintf("bm%d", i)
		req := NewRequest{ID: "m", Tenant: "t", Channel: ch, CallbackURL: "http://cb.example/hook?x=1",
			ClientRef: "ref-42", MsgFmt: 8, Segments: []Segment{{Content: make([]byte, 140)}}}
		for r := range n {
			req.Recipients = append(req.Recipients, fmt.Sprintf("138%08d", r))
		}
		if err := st.CreateRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
		mids := submitAll(b, st, ch, leaseAll(b, st, ch, 256, n))
		for _, m := range mids {
			reps := make([]ReportIn, len(m))
			for k, id := range m {
				reps[k] = ReportIn{MsgID: id, Stat: "DELIVRD"}
			}
			if _, err := st.Reports(ctx, ch, reps); err != nil {
				b.Fatal(err)
			}
		}
		var total int64
		iter := st.Client().Scan(ctx, 0, st.Keys().Tag(ch)+":ev:*", 1000).Iterator()
		for iter.Next(ctx) {
			u, err := st.Client().MemoryUsage(ctx, iter.Val(), 0).Result()
			if err != nil {
				b.Fatal(err)
			}
			total += u
		}
		if err := iter.Err(); err != nil {
			b.Fatal(err)
		}
		perEvent = float64(total) / n
	}
	b.ReportMetric(perEvent, "bytes/event")
}
