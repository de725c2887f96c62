package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// groupResult is one Create's outcome in a test.
type groupResult struct {
	id  string
	err error
}

// createAll runs Create of every request concurrently and returns the
// outcomes in request order.
func createAll(ctx context.Context, g *CreateGroup, reqs []NewRequest) []error {
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Go(func() { errs[i] = g.Create(ctx, reqs[i]) })
	}
	wg.Wait()
	return errs
}

// pendingCalls is the number of calls waiting for a commit.
func (g *CreateGroup) pendingCalls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// Many concurrent Creates through a group each get their own outcome, as
// CreateRequest would give it: new ids stored (whole, on the right
// queue), an id already stored ErrExists, two racing for one id one
// winner and one ErrExists, invalid requests ErrInvalid without holding
// up the others.
func TestCreateGroupConcurrent(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("old", 1, 1)
		g := NewCreateGroup(f.st, 2)
		var reqs []NewRequest
		jobs := 1
		for i := range 120 {
			r := f.request(fmt.Sprintf("n%03d", i), 1+i%3, 1+i%2)
			jobs += len(r.Recipients) * len(r.Segments)
			reqs = append(reqs, r)
		}
		const fresh = 120
		for i := range 10 {
			reqs = append(reqs, f.request(fmt.Sprintf("twin%d", i), 1, 1), f.request(fmt.Sprintf("twin%d", i), 1, 1))
			jobs++
		}
		for range 5 {
			reqs = append(reqs, f.request("old", 1, 1))
		}
		for i := range 5 {
			bad := f.request(fmt.Sprintf("bad%d", i), 1, 1)
			bad.Recipients = nil
			reqs = append(reqs, bad)
		}
		errs := createAll(f.ctx, g, reqs)
		won := map[string]int{}
		for i, err := range errs {
			id := reqs[i].ID
			switch {
			case i < fresh:
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				r := f.get(id)
				if r.ClientRef != "ref-"+id || r.Counts.Jobs != len(reqs[i].Recipients)*len(reqs[i].Segments) {
					t.Fatalf("%s stored as %+v", id, r)
				}
			case id == "old":
				if !errors.Is(err, ErrExists) {
					t.Fatalf("old: %v, want ErrExists", err)
				}
			case len(reqs[i].Recipients) == 0:
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s: %v, want ErrInvalid", id, err)
				}
			case err == nil:
				won[id]++
			case !errors.Is(err, ErrExists):
				t.Fatalf("%s: %v, want nil or ErrExists", id, err)
			}
		}
		for i := range 10 {
			if id := fmt.Sprintf("twin%d", i); won[id] != 1 {
				t.Fatalf("%s stored %d times", id, won[id])
			}
		}
		if q := f.depth(); q.Pending != int64(jobs) {
			t.Fatalf("queue %+v, want %d jobs", q, jobs)
		}
		if n := g.pendingCalls(); n != 0 || g.running != 0 {
			t.Fatalf("group left %d pending, %d running", n, g.running)
		}
	})
}

// gate makes every commit of g wait for a receive from proceed (send one
// token per commit, or close it to let all pass); it returns the ids of
// each commit started, in order.
func gate(g *CreateGroup, proceed <-chan struct{}) func() [][]string {
	var mu sync.Mutex
	var commits [][]string
	g.beforeCommit = func(reqs []NewRequest) {
		var ids []string
		for _, r := range reqs {
			ids = append(ids, r.ID)
		}
		mu.Lock()
		commits = append(commits, ids)
		mu.Unlock()
		<-proceed
	}
	return func() [][]string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(commits)
	}
}

// While every commit slot is busy, callers queue and the next commit
// stores them together in one call. A caller whose ctx ends while it is
// still queued is answered ErrUnavailable at once, and its request is not
// stored.
func TestCreateGroupBatches(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	g := NewCreateGroup(f.st, 1)
	release := make(chan struct{})
	commits := gate(g, release)

	done := make(chan groupResult, 10)
	create := func(ctx context.Context, id string) {
		go func() { done <- groupResult{id, g.Create(ctx, f.request(id, 1, 1))} }()
	}
	create(f.ctx, "a")
	testenv.WaitFor(t, 5*time.Second, "first commit started", func() bool { return len(commits()) == 1 })
	ctxB, cancelB := context.WithCancel(f.ctx)
	defer cancelB()
	create(ctxB, "b")
	for i := range 5 {
		create(f.ctx, fmt.Sprintf("c%d", i))
	}
	testenv.WaitFor(t, 5*time.Second, "six calls queued", func() bool { return g.pendingCalls() == 6 })
	cancelB()
	if r := <-done; r.id != "b" || !errors.Is(r.err, ErrUnavailable) || errors.Is(r.err, ErrOutcomeUnknown) {
		t.Fatalf("cancelled queued call: %s %v, want b ErrUnavailable", r.id, r.err)
	}
	close(release)
	for range 6 {
		if r := <-done; r.err != nil {
			t.Fatalf("%s: %v", r.id, r.err)
		}
	}
	c := commits()
	if len(c) != 2 || len(c[0]) != 1 || c[0][0] != "a" || len(c[1]) != 5 {
		t.Fatalf("commits %v, want [a] then the five c's together", c)
	}
	if _, err := f.st.GetRequest(f.ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancelled request: %v, want ErrNotFound", err)
	}
	if q := f.depth(); q.Pending != 6 {
		t.Fatalf("queue %+v, want 6 jobs", q)
	}
}

// A batch is bounded: at most maxCreateGroup requests, and a request of
// more than maxCommitSegments segments is committed alone.
func TestCreateGroupBounds(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	g := NewCreateGroup(f.st, 1)
	release := make(chan struct{})
	commits := gate(g, release)
	done := make(chan groupResult, 200)
	create := func(r NewRequest) {
		go func() { done <- groupResult{r.ID, g.Create(f.ctx, r)} }()
	}
	create(f.request("first", 1, 1))
	testenv.WaitFor(t, 5*time.Second, "first commit started", func() bool { return len(commits()) == 1 })
	big := f.request("big", maxCommitSegments/2+1, 2)
	create(big)
	testenv.WaitFor(t, 5*time.Second, "big queued", func() bool { return g.pendingCalls() == 1 })
	for i := range maxCreateGroup + 10 {
		create(f.request(fmt.Sprintf("s%03d", i), 1, 1))
	}
	testenv.WaitFor(t, 5*time.Second, "all queued", func() bool { return g.pendingCalls() == maxCreateGroup+11 })
	close(release)
	for range maxCreateGroup + 12 {
		if r := <-done; r.err != nil {
			t.Fatalf("%s: %v", r.id, r.err)
		}
	}
	var sizes []int
	for _, c := range commits() {
		sizes = append(sizes, len(c))
	}
	if want := []int{1, 1, maxCreateGroup, 10}; !slices.Equal(sizes, want) {
		t.Fatalf("commit sizes %v, want %v", sizes, want)
	}
}

// inCommit starts a call "lead" that occupies g's only commit slot, then
// "x" and "y" (y with ctx), and lets the first commit end: x then commits
// x and y (blocked in the gate). It returns the channels of the three
// outcomes.
func inCommit(ctx context.Context, t *testing.T, f *fixture, g *CreateGroup, proceed chan struct{},
	commits func() [][]string) (lead, x, y chan error) {
	t.Helper()
	lead, x, y = make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { lead <- g.Create(f.ctx, f.request("lead", 1, 1)) }()
	testenv.WaitFor(t, 5*time.Second, "first commit started", func() bool { return len(commits()) == 1 })
	go func() { x <- g.Create(f.ctx, f.request("x", 1, 1)) }()
	testenv.WaitFor(t, 5*time.Second, "x queued", func() bool { return g.pendingCalls() == 1 })
	go func() { y <- g.Create(ctx, f.request("y", 1, 1)) }()
	testenv.WaitFor(t, 5*time.Second, "y queued", func() bool { return g.pendingCalls() == 2 })
	proceed <- struct{}{}
	testenv.WaitFor(t, 5*time.Second, "second commit started", func() bool { return len(commits()) == 2 })
	if c := commits()[1]; !slices.Equal(c, []string{"x", "y"}) {
		t.Fatalf("second commit %v, want [x y]", c)
	}
	return lead, x, y
}

// A caller whose ctx ends while its request is being committed is not
// answered "not stored": it gets the real outcome of the commit.
func TestCreateGroupCancelledInCommit(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	g := NewCreateGroup(f.st, 1)
	proceed := make(chan struct{})
	commits := gate(g, proceed)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	lead, x, y := inCommit(ctx, t, f, g, proceed, commits)
	cancel()
	close(proceed)
	for name, c := range map[string]chan error{"lead": lead, "x": x, "y": y} {
		if err := <-c; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f.get(name)
	}
}

// A caller whose ctx ended and whose commit does not answer by the
// deadline plus ClockSkew is answered ErrOutcomeUnknown then (not before),
// and Redis indeed never stores its request.
func TestCreateGroupCancelledCommitTooLate(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{CreateDeadline: 300 * time.Millisecond, ClockSkew: 100 * time.Millisecond})
	g := NewCreateGroup(f.st, 1)
	proceed := make(chan struct{})
	commits := gate(g, proceed)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	start := time.Now()
	lead, x, y := inCommit(ctx, t, f, g, proceed, commits)
	cancel()
	err := <-y
	if !errors.Is(err, ErrOutcomeUnknown) || !Unavailable(err) {
		t.Fatalf("y: %v, want ErrOutcomeUnknown", err)
	}
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Fatalf("y answered after %v, before its deadline + skew", waited)
	}
	close(proceed)
	<-lead
	if err := <-x; !errors.Is(err, ErrUnavailable) {
		t.Fatalf("x committed after its deadline: %v, want ErrUnavailable", err)
	}
	for _, id := range []string{"x", "y"} {
		if _, err := f.st.GetRequest(f.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetRequest %s: %v, want ErrNotFound", id, err)
		}
	}
}

// Redis paused longer than the client waits: the callers of a commit are
// answered ErrOutcomeUnknown once their deadline plus ClockSkew has
// passed; callers queued behind it find their deadline passed before
// their commit and are answered ErrUnavailable (nothing sent). None of
// the requests is stored when Redis resumes (as TestCreateWhileRedisPaused
// for CreateRequest).
func TestCreateGroupRedisPaused(t *testing.T) {
	env, proc := testenv.OwnRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: env.Addr, ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	f := newFixture(t, env, Options{CreateDeadline: 300 * time.Millisecond, ClockSkew: 100 * time.Millisecond})
	f.st = New(rdb, f.st.opts)
	g := f.st.Creates()
	if err := g.Create(f.ctx, f.request("before", 1, 1)); err != nil { // scripts loaded, connections warm
		t.Fatal(err)
	}

	proc.Pause(t)
	start := time.Now()
	reqs := []NewRequest{f.request("p1", 1, 1), f.request("p2", 2, 1), f.request("p3", 1, 2), f.request("p4", 1, 1)}
	errs := createAll(f.ctx, g, reqs)
	waited := time.Since(start)
	proc.Resume(t)
	unknown := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, ErrOutcomeUnknown):
			unknown++
		case !errors.Is(err, ErrUnavailable):
			t.Fatalf("%s while paused: %v, want ErrOutcomeUnknown or ErrUnavailable", reqs[i].ID, err)
		}
	}
	if unknown == 0 {
		t.Fatalf("while paused: %v, want ErrOutcomeUnknown for the first commit", errs)
	}
	if waited < 400*time.Millisecond {
		t.Fatalf("answered after %v, before deadline + skew (400ms)", waited)
	}
	testenv.WaitFor(t, 5*time.Second, "Redis answers again", func() bool { return rdb.Ping(f.ctx).Err() == nil })
	for _, r := range reqs {
		if _, err := f.st.GetRequest(f.ctx, r.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetRequest %s after resume: %v, want ErrNotFound", r.ID, err)
		}
	}
	if q := f.depth(); q.Pending != 1 {
		t.Fatalf("queue %+v: a paused create was run after its deadline", q)
	}
}

// A caller whose ctx has ended already, or whose deadline has passed, is
// refused at once (ErrUnavailable, nothing sent).
func TestCreateGroupRefusedAtOnce(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{})
	g := f.st.Creates()
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if err := g.Create(ctx, f.request("cancelled", 1, 1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("cancelled ctx: %v, want ErrUnavailable", err)
	}
	late := f.request("late", 1, 1)
	late.Deadline = time.Now().Add(-time.Millisecond)
	if err := g.Create(f.ctx, late); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("deadline passed: %v, want ErrUnavailable", err)
	}
	if keys := f.env.Keys(t); len(keys) != 0 {
		t.Fatalf("refused creates wrote %v", keys)
	}
}

// Should a commit panic (a bug), every caller of the batch, its leader
// included, is answered ErrOutcomeUnknown (after their deadline plus
// ClockSkew: the requests may have been stored) and the slot is freed for
// later creates.
func TestCreateGroupCommitPanics(t *testing.T) {
	f := newFixture(t, testenv.Redis(t), Options{CreateDeadline: 300 * time.Millisecond, ClockSkew: 100 * time.Millisecond})
	g := NewCreateGroup(f.st, 1)
	proceed := make(chan struct{})
	commits := gate(g, proceed)
	gated := g.beforeCommit
	g.beforeCommit = func(reqs []NewRequest) {
		gated(reqs)
		if reqs[0].ID == "x" {
			panic("boom")
		}
	}
	ctx := f.ctx
	lead, x, y := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { lead <- g.Create(ctx, f.request("lead", 1, 1)) }()
	testenv.WaitFor(t, 5*time.Second, "first commit started", func() bool { return len(commits()) == 1 })
	go func() { x <- g.Create(ctx, f.request("x", 1, 1)) }()
	testenv.WaitFor(t, 5*time.Second, "x queued", func() bool { return g.pendingCalls() == 1 })
	go func() { y <- g.Create(ctx, f.request("y", 1, 1)) }()
	testenv.WaitFor(t, 5*time.Second, "y queued", func() bool { return g.pendingCalls() == 2 })
	close(proceed)
	<-lead
	if err := <-x; !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("x (the panicking commit's leader): %v, want ErrOutcomeUnknown naming the panic", err)
	}
	if err := <-y; !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("y: %v, want ErrOutcomeUnknown", err)
	}
	if err := g.Create(ctx, f.request("after", 1, 1)); err != nil {
		t.Fatalf("create after the panic: %v", err)
	}
	if _, err := f.st.GetRequest(ctx, "y"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetRequest y: %v, want ErrNotFound", err)
	}
}
