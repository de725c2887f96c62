package store

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A create Redis runs after its deadline (on the Redis clock) writes
// nothing: a command buffered while the server was paused cannot store a
// request the caller was told failed.
func TestCreateAfterDeadlineDoesNothing(t *testing.T) {
	backends(t, func(f *fixture) {
		req := f.request("late", 2, 2)
		past := time.Now().Add(-time.Millisecond)
		v, err := f.st.cmd(f.ctx, scriptCreate, f.st.createKeys(req), f.st.createArgs(req, nil, f.clock.Now(), past, "tok")...).Result()
		if err != nil || asInt(v) != -1 {
			f.t.Fatalf("create after deadline: %v %v, want -1", v, err)
		}
		if keys := f.env.Keys(f.t); len(keys) != 0 {
			f.t.Fatalf("create after deadline wrote %v", keys)
		}
		// CreateRequest does not even send a create whose deadline passed.
		req.Deadline = past
		if err := f.st.CreateRequest(f.ctx, req); !errors.Is(err, ErrUnavailable) || !Unavailable(err) {
			f.t.Fatalf("CreateRequest after deadline: %v, want ErrUnavailable", err)
		}
		if _, err := f.st.GetRequest(f.ctx, "late"); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("GetRequest: %v, want ErrNotFound", err)
		}
	})
}

// ResolveCreate settles an id: an existing request is reported; a missing
// one is voided, and a create of it run later does nothing.
func TestResolveCreateVoids(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("here", 1, 1)
		if ok, err := f.st.ResolveCreate(f.ctx, f.ch, "here"); err != nil || !ok {
			f.t.Fatalf("resolve existing: %v %v", ok, err)
		}
		if ok, err := f.st.ResolveCreate(f.ctx, f.ch, "gone"); err != nil || ok {
			f.t.Fatalf("resolve missing: %v %v", ok, err)
		}
		void := f.st.Keys().Void(f.ch, "gone")
		if ttl := f.env.TTL(f.t, void); ttl <= 0 || ttl > f.st.voidTTL() {
			f.t.Fatalf("void marker TTL %v", ttl)
		}
		if err := f.st.CreateRequest(f.ctx, f.request("gone", 1, 1)); !errors.Is(err, ErrUnavailable) {
			f.t.Fatalf("create of a voided id: %v, want ErrUnavailable", err)
		}
		if _, err := f.st.GetRequest(f.ctx, "gone"); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("GetRequest of a voided id: %v", err)
		}
		if q := f.depth(); q.Pending != 1 {
			f.t.Fatalf("queue %+v, want only the first request's job", q)
		}
		if _, err := f.st.ResolveCreate(f.ctx, "bad:ch", "x"); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("bad channel: %v", err)
		}
	})
}

// The same create command run twice (a client retry after a lost reply)
// stores once and answers "stored" both times; another call with the same
// id is ErrExists.
func TestCreateRetriedCommandStoresOnce(t *testing.T) {
	backends(t, func(f *fixture) {
		req := f.request("twice", 3, 2)
		args := f.st.createArgs(req, nil, f.clock.Now(), time.Now().Add(time.Minute), "tok1")
		for i := range 2 {
			v, err := f.st.cmd(f.ctx, scriptCreate, f.st.createKeys(req), args...).Result()
			if err != nil || asInt(v) != 1 {
				f.t.Fatalf("run %d: %v %v, want 1", i, v, err)
			}
		}
		if q := f.depth(); q.Pending != 6 {
			f.t.Fatalf("queue %+v, want 6 jobs", q)
		}
		f.env.Do(f.t, "SET", f.st.Keys().RequestIndex("twice"), f.ch)
		if r := f.get("twice"); r.Counts.Jobs != 6 || r.Recipients[2].Number != req.Recipients[2] {
			f.t.Fatalf("stored request %+v", r)
		}
		if err := f.st.CreateRequest(f.ctx, req); !errors.Is(err, ErrExists) {
			f.t.Fatalf("another create of the id: %v, want ErrExists", err)
		}
	})
}

// The audit's case at store level: Redis is paused (SIGSTOP) longer than
// the client waits. CreateRequest cannot learn the outcome, says so
// (ErrOutcomeUnknown) and returns only once the deadline has passed; when
// Redis resumes and runs the buffered create (sent on a pooled connection),
// the request is not stored, and stays so. (The read-back cannot void the
// id here: go-redis sends nothing on a new connection before its handshake
// is answered; the deadline is what settles the id.)
func TestCreateWhileRedisPaused(t *testing.T) {
	env, proc := testenv.OwnRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: env.Addr, ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	f := newFixture(t, env, Options{CreateDeadline: 300 * time.Millisecond, ClockSkew: 100 * time.Millisecond})
	f.st = New(rdb, f.st.opts)
	f.create("before", 1, 1) // scripts loaded, connections warm

	proc.Pause(t)
	start := time.Now()
	err := f.st.CreateRequest(f.ctx, f.request("paused", 2, 1))
	waited := time.Since(start)
	proc.Resume(t)
	if !errors.Is(err, ErrOutcomeUnknown) || !Unavailable(err) {
		t.Fatalf("CreateRequest while paused: %v, want ErrOutcomeUnknown", err)
	}
	if waited < 400*time.Millisecond {
		t.Fatalf("CreateRequest returned after %v, before deadline + skew (400ms)", waited)
	}
	testenv.WaitFor(t, 5*time.Second, "Redis answers again", func() bool { return rdb.Ping(f.ctx).Err() == nil })
	if _, err := f.st.GetRequest(f.ctx, "paused"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetRequest after resume: %v, want ErrNotFound", err)
	}
	if q := f.depth(); q.Pending != 1 {
		t.Fatalf("queue %+v: the paused create was run after its deadline", q)
	}
}
