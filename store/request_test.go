package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestJobIDSplit(t *testing.T) {
	for _, tc := range []struct {
		id    JobID
		req   string
		r, s  int
		valid bool
	}{
		{MakeJobID("abc", 1, 2), "abc", 1, 2, true},
		{MakeJobID("a:b:c", 1000, 255), "a:b:c", 1000, 255, true},
		{"abc:1", "", 0, 0, false},
		{"abc:x:1", "", 0, 0, false},
		{"abc:0:1", "", 0, 0, false},
		{":1:1", "", 0, 0, false},
		{"", "", 0, 0, false},
	} {
		req, r, s, err := tc.id.Split()
		if (err == nil) != tc.valid || req != tc.req || r != tc.r || s != tc.s {
			t.Errorf("Split(%q) = %q %d %d %v", tc.id, req, r, s, err)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("Split(%q) error %v does not wrap ErrInvalid", tc.id, err)
		}
	}
}

func TestDecodeJob(t *testing.T) {
	if st := decodeJob(""); st.State != JobQueued || st.Attempts != 0 {
		t.Fatalf("empty: %+v", st)
	}
	st := decodeJob("f|3|1122101012000100100001|0|UNDELIV|1760000000000|1760000001000|UNDELIV||2511221011")
	want := SegmentState{
		State: JobFailed, Attempts: 3, MsgID: "1122101012000100100001", HasSubmitResult: true,
		Stat: "UNDELIV", SubmittedAt: time.UnixMilli(1760000000000), ReportedAt: time.UnixMilli(1760000001000),
		ErrorCode: "UNDELIV", DoneTime: "2511221011",
	}
	if st != want {
		t.Fatalf("decodeJob:\n got %+v\nwant %+v", st, want)
	}
	if st := decodeJob("z|1"); !strings.HasPrefix(string(st.State), "invalid") {
		t.Fatalf("bad state decoded as %q", st.State)
	}
}

func TestCreateAndGet(t *testing.T) {
	backends(t, func(f *fixture) {
		req := f.create("r1", 3, 2)
		k := f.st.Keys()
		// Raw read-back of the request hash.
		h := f.env.HGetAll(f.t, k.Request(f.ch, "r1"))
		for field, want := range map[string]string{
			"tenant": "acme", "channel": f.ch, "cb": "http://cb.example/hook", "ref": "ref-r1",
			"fmt": "8", "ext": "01", "R": "3", "S": "2", "to:2": "13800130002",
			"seg:2": string(req.Segments[1].Content), "udhi:1": "1",
		} {
			if h[field] != want {
				f.t.Errorf("hash field %s = %q, want %q", field, h[field], want)
			}
		}
		if _, ok := h["j:1:1"]; ok {
			f.t.Error("job state written at creation; missing means queued")
		}
		q := f.env.Do(f.t, "LRANGE", k.TenantQueue(f.ch, "acme", PriorityNormal), 0, -1).([]any)
		want := []string{"r1:1:1", "r1:1:2", "r1:2:1", "r1:2:2", "r1:3:1", "r1:3:2"}
		if len(q) != len(want) {
			f.t.Fatalf("queue %v, want %v", q, want)
		}
		for i := range want {
			if q[i] != want[i] {
				f.t.Fatalf("queue %v, want %v", q, want)
			}
		}
		if ttl := f.env.TTL(f.t, k.Request(f.ch, "r1")); ttl != -1 {
			f.t.Errorf("request TTL %v before final, want none", ttl)
		}
		if ttl := f.env.TTL(f.t, k.RequestIndex("r1")); ttl <= 0 || ttl > DefaultIndexTTL {
			f.t.Errorf("index TTL %v", ttl)
		}
		got := f.get("r1")
		if got.Status != RequestQueued || got.Counts.Jobs != 6 || got.Counts.Pending != 3 ||
			got.Counts.JobsByState[JobQueued] != 6 || got.Tenant != "acme" || got.MsgFmt != 8 ||
			got.ClientRef != "ref-r1" || got.CallbackURL != req.CallbackURL || got.Channel != f.ch ||
			!got.CreatedAt.Equal(f.clock.Now()) {
			f.t.Fatalf("GetRequest: %+v", got)
		}
		if rc := got.Recipients[2]; rc.Index != 3 || rc.Number != "13800130003" ||
			rc.Status != RecipientQueued || len(rc.Segments) != 2 || rc.Segments[1].Index != 2 {
			f.t.Fatalf("recipient 3: %+v", rc)
		}
		if err := f.st.CreateRequest(f.ctx, req); !errors.Is(err, ErrExists) {
			f.t.Fatalf("second CreateRequest: %v, want ErrExists", err)
		}
		if n := f.depth().Pending; n != 6 {
			f.t.Fatalf("duplicate create pushed jobs: pending %d", n)
		}
		if _, err := f.st.GetRequest(f.ctx, "nope"); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("GetRequest unknown: %v", err)
		}
		// An orphan index (create script never ran) answers not found.
		f.env.Do(f.t, "SET", k.RequestIndex("orphan"), f.ch)
		if _, err := f.st.GetRequest(f.ctx, "orphan"); !errors.Is(err, ErrNotFound) {
			f.t.Fatalf("GetRequest orphan: %v", err)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	env := newFixture(t, testenv.Redis(t), Options{MaxRecipients: 2, MaxSegments: 2})
	ok := env.request("v", 1, 1)
	for name, mut := range map[string]func(*NewRequest){
		"empty id":       func(r *NewRequest) { r.ID = "" },
		"id with pipe":   func(r *NewRequest) { r.ID = "a|b" },
		"id with brace":  func(r *NewRequest) { r.ID = "a{b" },
		"no recipients":  func(r *NewRequest) { r.Recipients = nil },
		"too many rcpt":  func(r *NewRequest) { r.Recipients = []string{"1", "2", "3"} },
		"empty number":   func(r *NewRequest) { r.Recipients = []string{""} },
		"no segments":    func(r *NewRequest) { r.Segments = nil },
		"too many segs":  func(r *NewRequest) { r.Segments = append(r.Segments, r.Segments[0], r.Segments[0]) },
		"empty segment":  func(r *NewRequest) { r.Segments = []Segment{{}} },
		"huge segment":   func(r *NewRequest) { r.Segments = []Segment{{Content: bytes.Repeat([]byte{1}, 256)}} },
		"bad channel":    func(r *NewRequest) { r.Channel = "a{b}" },
		"channel colon":  func(r *NewRequest) { r.Channel = "a:b" },
		"empty channel ": func(r *NewRequest) { r.Channel = "" },
	} {
		r := ok
		r.Recipients = append([]string(nil), ok.Recipients...)
		r.Segments = append([]Segment(nil), ok.Segments...)
		mut(&r)
		if err := env.st.CreateRequest(env.ctx, r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if keys := env.env.Keys(t); len(keys) != 0 {
		t.Fatalf("invalid requests wrote keys: %v", keys)
	}
}

func TestNewClient(t *testing.T) {
	c, err := NewClient(RedisConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if _, err := NewClient(RedisConfig{Addrs: []string{"nohost"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad addr: %v", err)
	}
	if _, err := NewClient(RedisConfig{Addrs: []string{"a:1", "b:1"}, DB: 2}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("cluster with DB: %v", err)
	}
	env := testenv.Redis(t)
	c, err = NewClient(RedisConfig{Addrs: []string{env.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("ping through NewClient: %v", err)
	}
}

// TestCreateAfterScriptFlush covers the pipelined create when the server
// has no cached script (NOSCRIPT → EVAL fallback). It runs on miniredis,
// whose script cache belongs to this test alone.
func TestCreateAfterScriptFlush(t *testing.T) {
	f := newFixture(t, testenv.Miniredis(t), Options{})
	f.create("a", 1, 1)
	f.env.Do(t, "SCRIPT", "FLUSH")
	f.create("b", 2, 1)
	if got := f.get("b"); got.Counts.Recipients != 2 || got.Status != RequestQueued {
		t.Fatalf("after flush: %+v", got)
	}
	if d := f.depth(); d.Pending != 3 {
		t.Fatalf("pending %d", d.Pending)
	}
}

// TestGetSeededRequest seeds a request hash by hand (the documented
// encoding, see lua/lib.lua) and reads it back through GetRequest.
func TestGetSeededRequest(t *testing.T) {
	backends(t, func(f *fixture) {
		k := f.st.Keys()
		f.env.Do(f.t, "SET", k.RequestIndex("seed"), f.ch)
		f.env.SeedHash(f.t, k.Request(f.ch, "seed"), map[string]string{
			"tenant": "acme", "channel": f.ch, "cb": "", "ref": "x", "fmt": "15", "ext": "9",
			"ca": "1760000000000", "st": "1760000001000", "R": "3", "S": "2",
			"to:1": "139", "to:2": "138", "to:3": "137",
			"j:1:1": "d|1|1122101012000100100001|0|DELIVRD|1760000002000|1760000003000|||2511221011",
			"j:1:2": "f|2|1122101012000100100002|0|UNDELIV|1760000002000|1760000003000|UNDELIV||2511221012",
			"rf:1":  "2", "rs:1": "failed|UNDELIV",
			"j:2:1": "l|1|||||||sender-9|",
			"j:2:2": "w|1||||||flow_control||",
			"j:3:1": "s|1|1122101012000100100003|0||1760000002000||||",
			"nsub":  "3", "rfin": "1", "n_failed": "1",
		})
		got := f.get("seed")
		if got.Status != RequestSending || got.MsgFmt != 15 || got.SrcExt != "9" ||
			!got.StartedAt.Equal(fromMS("1760000001000")) || got.Counts.Failed != 1 || got.Counts.Pending != 2 {
			f.t.Fatalf("request: %s %+v", got.Status, got)
		}
		r1, r2, r3 := got.Recipients[0], got.Recipients[1], got.Recipients[2]
		if r1.Status != RecipientFailed || r1.ErrorCode != "UNDELIV" || r1.Segments[1].Attempts != 2 ||
			r1.Segments[0].DoneTime != "2511221011" || r1.Segments[1].MsgID != "1122101012000100100002" {
			f.t.Fatalf("r1: %+v", r1)
		}
		if r2.Status != RecipientSending || r2.Segments[0].LeaseOwner != "sender-9" ||
			r2.Segments[1].State != JobScheduled || r2.Segments[1].ErrorCode != "flow_control" {
			f.t.Fatalf("r2: %+v", r2)
		}
		if r3.Status != RecipientSending || r3.Segments[0].State != JobSubmitted || r3.Segments[1].State != JobQueued {
			f.t.Fatalf("r3: %+v", r3)
		}
		want := map[JobState]int{JobDelivered: 1, JobFailed: 1, JobLeased: 1, JobScheduled: 1, JobSubmitted: 1, JobQueued: 1}
		for st, n := range want {
			if got.Counts.JobsByState[st] != n {
				f.t.Fatalf("jobs by state %v, want %v", got.Counts.JobsByState, want)
			}
		}
		// A report for the seeded submitted job goes through the scripts.
		f.env.Do(f.t, "SET", k.MsgID(f.ch, "1122101012000100100003"), "seed:3:1")
		if o := f.reports(rep("1122101012000100100003", "DELIVRD")); o[0].Result != ReportMatched || o[0].Job != "seed:3:1" {
			f.t.Fatalf("report on seeded job: %+v", o)
		}
	})
}
