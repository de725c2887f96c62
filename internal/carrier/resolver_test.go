package carrier

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// hookServer is a lookup hook on loopback: answer decides each number's
// response; it counts requests per number and the most in flight.
type hookServer struct {
	*httptest.Server
	answer func(w http.ResponseWriter, r *http.Request, number string)

	mu          sync.Mutex
	hits        map[string]int
	inFlight    int
	maxInFlight int
}

func newHookServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, number string)) *hookServer {
	h := &hookServer{answer: answer, hits: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := r.URL.Query().Get("number")
		h.mu.Lock()
		h.hits[n]++
		h.inFlight++
		h.maxInFlight = max(h.maxInFlight, h.inFlight)
		h.mu.Unlock()
		defer func() { h.mu.Lock(); h.inFlight--; h.mu.Unlock() }()
		h.answer(w, r, n)
	}))
	t.Cleanup(h.Close)
	if host, _, _ := net.SplitHostPort(h.Listener.Addr().String()); !net.ParseIP(host).IsLoopback() {
		t.Fatalf("hook test server on %s, not loopback", host)
	}
	return h
}

func (h *hookServer) hitsOf(n string) int { h.mu.Lock(); defer h.mu.Unlock(); return h.hits[n] }

func (h *hookServer) totalHits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := 0
	for _, n := range h.hits {
		s += n
	}
	return s
}

func newResolver(t *testing.T, c Config, p Portability, m *metrics.Metrics) *Resolver {
	t.Helper()
	c.FillDefaults()
	r, err := New(Options{Config: c, Portability: p, Metrics: m, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func lookups(t *testing.T, m *metrics.Metrics, outcome string) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.CarrierLookups.WithLabelValues(outcome).Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Without portability and hook, the range (with overrides) decides.
func TestResolverRangeOnly(t *testing.T) {
	r := newResolver(t, Config{Ranges: map[string]string{"1380013": CTCC}}, nil, nil)
	got, err := r.Carriers(testCtx(t), []string{"13800138000", "13900000000", "19200000000", "15400000000", "17041234567"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{CTCC, CMCC, CBN, Unknown, CUCC}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%q, want %q", got, want)
	}
	if got, err := r.Carriers(testCtx(t), nil); err != nil || len(got) != 0 {
		t.Fatalf("no numbers: %v %v", got, err)
	}
}

// The hook's answer is used and cached (one request per number, also for
// a number given twice); a 500, bad JSON, an unknown code, an empty
// carrier and a timeout fall back to the range, are counted, and are
// cached for the shorter negative TTL, after which they are asked again.
func TestResolverLookupHook(t *testing.T) {
	release := make(chan struct{})
	h := newHookServer(t, func(w http.ResponseWriter, r *http.Request, n string) {
		switch n {
		case "13800000001":
			_, _ = w.Write([]byte(`{"carrier":"ctcc"}`))
		case "13800000002":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "13800000003":
			_, _ = w.Write([]byte(`not json`))
		case "13800000004":
			_, _ = w.Write([]byte(`{"carrier":"mobile"}`))
		case "13800000005":
			_, _ = w.Write([]byte(`{"carrier":""}`))
		case "13800000006": // never answers in time
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "13000000007":
			_, _ = w.Write([]byte(`{"carrier":"cmcc","extra":1}`))
		}
	})
	defer close(release)
	m := metrics.New()
	r := newResolver(t, Config{LookupURL: h.URL + "/carrier?key=k", LookupTimeout: 3 * time.Second}, nil, m)
	now := time.Now()
	r.hook.now = func() time.Time { return now }
	numbers := []string{"13800000001", "13800000002", "13800000003", "13800000004", "13800000005", "13800000006", "13000000007", "13000000007"}
	want := []string{CTCC, CMCC, CMCC, CMCC, CMCC, CMCC, CMCC, CMCC}
	for range 2 {
		got, err := r.Carriers(testCtx(t), numbers)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q, want %q", got, want)
		}
	}
	for _, n := range numbers {
		if h.hitsOf(n) != 1 {
			t.Errorf("number %s asked %d times, want once (cached)", n, h.hitsOf(n))
		}
	}
	for outcome, want := range map[string]float64{
		outcomeOK: 3, outcomeError: 1, outcomeBadAnswer: 2, outcomeTimeout: 1, outcomeCached: 7,
	} {
		if got := lookups(t, m, outcome); got != want {
			t.Errorf("outcome %s counted %v, want %v", outcome, got, want)
		}
	}
	// Past the negative TTL, answers without a carrier and failures are
	// asked again; answers naming a carrier are still cached.
	now = now.Add(DefaultLookupNegativeTTL + time.Second)
	if _, err := r.Carriers(testCtx(t), numbers); err != nil {
		t.Fatal(err)
	}
	for _, n := range numbers {
		want := 2
		if n == "13800000001" || n == "13000000007" {
			want = 1
		}
		if h.hitsOf(n) != want {
			t.Errorf("after the negative TTL, number %s asked %d times, want %d", n, h.hitsOf(n), want)
		}
	}
}

// At most LookupConcurrency hook requests are in flight, and that many
// are used.
func TestResolverLookupConcurrencyBounded(t *testing.T) {
	full := make(chan struct{})
	var once sync.Once
	var h *hookServer
	h = newHookServer(t, func(w http.ResponseWriter, r *http.Request, n string) {
		h.mu.Lock()
		reached := h.inFlight >= LookupConcurrency
		h.mu.Unlock()
		if reached {
			once.Do(func() { close(full) })
		}
		select { // hold every request until the bound is reached once
		case <-full:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte(`{"carrier":"cbn"}`))
	})
	r := newResolver(t, Config{LookupURL: h.URL, LookupTimeout: 20 * time.Second}, nil, nil)
	numbers := make([]string, 100)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("138%08d", i)
	}
	got, err := r.Carriers(testCtx(t), numbers)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range got {
		if c != CBN {
			t.Fatalf("number %d: %q", i, c)
		}
	}
	h.mu.Lock()
	most := h.maxInFlight
	h.mu.Unlock()
	if most != LookupConcurrency {
		t.Fatalf("%d requests in flight at most, want %d", most, LookupConcurrency)
	}
}

// A context that ends while the hook is asked ends the call with its
// error; nothing is cached about the hook from it.
func TestResolverContextEnds(t *testing.T) {
	h := newHookServer(t, func(w http.ResponseWriter, r *http.Request, n string) { <-r.Context().Done() })
	r := newResolver(t, Config{LookupURL: h.URL, LookupTimeout: 20 * time.Second}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := r.Carriers(ctx, []string{"13800000001"}); errc <- err }()
	testenv.WaitFor(t, 10*time.Second, "the hook is asked", func() bool { return h.totalHits() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if r.hook.cache.len() != 0 {
		t.Fatal("a cancelled lookup was cached")
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := r.Carriers(done, []string{"13800000001"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
}

// redisCalls counts the commands and pipelines a client sends.
type redisCalls struct{ n atomic.Int64 }

func (c *redisCalls) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *redisCalls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *redisCalls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// With portability on, a moved number's entry wins over the hook and the
// range, and a call costs one Redis round trip whatever the number of
// numbers; with it off, no Redis call at all (counted by a hook on the
// real client).
func TestResolverPortability(t *testing.T) {
	env := testenv.Redis(t)
	calls := &redisCalls{}
	env.Client.AddHook(calls)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	ctx := testCtx(t)
	if err := st.PortabilitySet(ctx, []store.PortabilityEntry{{Number: "13800000001", Carrier: CUCC}, {Number: "13300000002", Carrier: CBN}}); err != nil {
		t.Fatal(err)
	}
	h := newHookServer(t, func(w http.ResponseWriter, r *http.Request, n string) { _, _ = w.Write([]byte(`{"carrier":"ctcc"}`)) })
	numbers := []string{"13800000001", "13300000002", "13900000003", "13900000004", "13800000001"}
	for n := range 200 {
		numbers = append(numbers, fmt.Sprintf("150%08d", n))
	}

	on := newResolver(t, Config{Portability: true}, st, nil)
	before := calls.n.Load()
	got, err := on.Carriers(ctx, numbers)
	if err != nil {
		t.Fatal(err)
	}
	if d := calls.n.Load() - before; d != 1 {
		t.Fatalf("portability on: %d Redis round trips for %d numbers, want 1", d, len(numbers))
	}
	if want := []string{CUCC, CBN, CMCC, CMCC, CUCC, CMCC}; fmt.Sprint(got[:6]) != fmt.Sprint(want) {
		t.Fatalf("%q, want %q", got[:6], want)
	}

	withHook := newResolver(t, Config{Portability: true, LookupURL: h.URL}, st, nil)
	got, err = withHook.Carriers(ctx, numbers[:4])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{CUCC, CBN, CTCC, CTCC}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("with hook: %q, want %q", got, want)
	}
	if h.hitsOf("13800000001")+h.hitsOf("13300000002") != 0 {
		t.Fatal("the hook was asked about moved numbers")
	}

	off := newResolver(t, Config{Portability: false}, st, nil)
	before = calls.n.Load()
	for range 50 {
		got, err = off.Carriers(ctx, numbers)
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := calls.n.Load() - before; d != 0 {
		t.Fatalf("portability off: %d Redis calls, want 0", d)
	}
	if got[0] != CMCC {
		t.Fatalf("portability off: moved number %q, want the range's cmcc", got[0])
	}

	// A failing Redis is an error, not a silent fallback.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer func() { _ = dead.Close() }()
	broken := newResolver(t, Config{Portability: true}, store.New(dead, store.Options{Prefix: env.Prefix}), nil)
	if _, err := broken.Carriers(ctx, numbers[:1]); err == nil {
		t.Fatal("portability read on a dead Redis: no error")
	}
	if _, err := New(Options{Config: Config{Portability: true, LookupTimeout: time.Second, LookupCacheTTL: time.Hour, LookupNegativeTTL: time.Minute, LookupCacheSize: 1}}); err == nil {
		t.Fatal("portability on without a store: no error")
	}
}

// The cache holds at most its size, dropping the oldest entry first.
func TestCacheBounded(t *testing.T) {
	c := newCache(3)
	now := time.Now()
	for i := range 5 {
		c.put(fmt.Sprint(i), CMCC, now, time.Hour)
	}
	c.put("4", CUCC, now, time.Hour) // update: no eviction
	if c.len() != 3 {
		t.Fatalf("len %d", c.len())
	}
	for k, want := range map[string]bool{"0": false, "1": false, "2": true, "3": true, "4": true} {
		if _, ok := c.get(k, now); ok != want {
			t.Errorf("entry %s present %v, want %v", k, ok, want)
		}
	}
	if v, _ := c.get("4", now); v != CUCC {
		t.Errorf("updated entry %q", v)
	}
	if _, ok := c.get("4", now.Add(time.Hour)); ok {
		t.Error("expired entry returned")
	}
}

// Failed lookups are logged as one warning per failLogEvery with the
// count, never with a number above debug.
func TestResolverFailureLogThrottled(t *testing.T) {
	h := newHookServer(t, func(w http.ResponseWriter, r *http.Request, n string) { http.Error(w, "down", http.StatusBadGateway) })
	logs := &testenv.LogBuffer{}
	c := Config{LookupURL: h.URL}
	c.FillDefaults()
	r, err := New(Options{Config: c, Logger: zerolog.New(logs).Level(zerolog.InfoLevel)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	now := time.Now()
	r.hook.now = func() time.Time { return now }
	numbers := []string{"13812340001", "13812340002", "13812340003"}
	if _, err := r.Carriers(testCtx(t), numbers); err != nil {
		t.Fatal(err)
	}
	now = now.Add(failLogEvery + DefaultLookupNegativeTTL) // the next failure logs again, with the count since
	if got, err := r.Carriers(testCtx(t), numbers); err != nil || got[0] != CMCC {
		t.Fatalf("%v %v", got, err)
	}
	out := logs.String()
	if n := strings.Count(out, `"level":"warn"`); n != 2 {
		t.Fatalf("%d warnings for 6 failures over two periods, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, `"failures":3`) || !strings.Contains(out, `"component":"carrier"`) {
		t.Fatalf("the second warning does not count the failures since the first:\n%s", out)
	}
	for _, n := range numbers {
		if strings.Contains(out, n) || strings.Contains(out, n[3:]) {
			t.Fatalf("a number was logged above debug:\n%s", out)
		}
	}
}
