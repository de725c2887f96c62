package carrier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
)

// The lookup hook protocol (see the package doc): GET <lookup_url> with
// the query parameter number=<11 digits> added; the answer is a 200 with
// a JSON object whose "carrier" is a carrier code, or "" when the hook
// does not know (the range decides). Anything else is a failed lookup.

// maxHookAnswer bounds the body read from the hook.
const maxHookAnswer = 4 << 10

// failLogEvery is the least time between two log lines about failed
// lookups (each says how many failed since the last one).
const failLogEvery = 10 * time.Second

// Outcomes of one number's lookup: the label of
// smsbridge_carrier_lookups_total.
const (
	outcomeOK        = "ok"
	outcomeCached    = "cached"
	outcomeTimeout   = "timeout"
	outcomeError     = "error"
	outcomeBadAnswer = "bad_answer"
)

// hook asks the lookup hook, through a cache, with at most
// LookupConcurrency requests in flight.
type hook struct {
	url              *url.URL
	client           *http.Client
	timeout          time.Duration
	ttl, negativeTTL time.Duration
	cache            *cache
	sem              chan struct{}
	metrics          *metrics.Metrics
	log              zerolog.Logger
	now              func() time.Time

	failMu     sync.Mutex
	failLogged time.Time
	failures   int // since failLogged
}

func newHook(cfg Config, client *http.Client, m *metrics.Metrics, log zerolog.Logger) (*hook, error) {
	u, err := url.Parse(cfg.LookupURL)
	if err != nil {
		return nil, fmt.Errorf("carriers.lookup_url: %w", err)
	}
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil // operator config names the hook; no environment proxy in between
		tr.MaxIdleConnsPerHost = LookupConcurrency
		tr.MaxConnsPerHost = LookupConcurrency
		client = &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &hook{
		url: u, client: client, timeout: cfg.LookupTimeout,
		ttl: cfg.LookupCacheTTL, negativeTTL: cfg.LookupNegativeTTL,
		cache: newCache(cfg.LookupCacheSize), sem: make(chan struct{}, LookupConcurrency),
		metrics: m, log: log, now: time.Now,
	}, nil
}

// resolve fills out[i] for every i of todo with the hook's answer ("" when
// it has none or failed: the caller then uses the range). Each distinct
// number is asked once, from the cache when it can. It returns ctx's
// error when ctx ended before every answer came.
func (h *hook) resolve(ctx context.Context, numbers []string, todo []int, out []string) error {
	at := make(map[string][]int, len(todo)) // number -> its indices in out
	var distinct []string
	for _, i := range todo {
		n := numbers[i]
		if _, seen := at[n]; !seen {
			distinct = append(distinct, n)
		}
		at[n] = append(at[n], i)
	}
	now := h.now()
	var ask []string
	for _, n := range distinct {
		c, ok := h.cache.get(n, now)
		if !ok {
			ask = append(ask, n)
			continue
		}
		h.count(outcomeCached)
		for _, i := range at[n] {
			out[i] = c
		}
	}
	var wg sync.WaitGroup
	answers := make([]string, len(ask))
	for k, n := range ask {
		select {
		case h.sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-h.sem }()
			answers[k] = h.ask(ctx, n)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for k, n := range ask {
		for _, i := range at[n] {
			out[i] = answers[k]
		}
	}
	return nil
}

// ask runs one lookup and caches its result: a carrier for ttl; no
// carrier or a failure for negativeTTL (unless ctx ended: then nothing is
// learnt about the hook).
func (h *hook) ask(ctx context.Context, number string) string {
	c, outcome, err := h.get(ctx, number)
	if ctx.Err() != nil {
		return ""
	}
	h.count(outcome)
	ttl := h.ttl
	if outcome != outcomeOK {
		h.failed(number, outcome, err)
		c = ""
	}
	if c == "" {
		ttl = h.negativeTTL
	}
	h.cache.put(number, c, h.now(), ttl)
	return c
}

// get sends one request.
func (h *hook) get(ctx context.Context, number string) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	u := *h.url
	q := u.Query()
	q.Set("number", number)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", outcomeError, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // its text holds the URL, hence the number
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", outcomeTimeout, err
		}
		return "", outcomeError, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHookAnswer+1))
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		return "", outcomeTimeout, err
	case err != nil:
		return "", outcomeError, err
	case resp.StatusCode != http.StatusOK:
		return "", outcomeError, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	c, err := parseAnswer(body)
	if err != nil {
		return "", outcomeBadAnswer, err
	}
	return c, outcomeOK, nil
}

// parseAnswer reads {"carrier": "<code>"} ("" = the hook does not know).
func parseAnswer(body []byte) (string, error) {
	if len(body) > maxHookAnswer {
		return "", fmt.Errorf("answer longer than %d bytes", maxHookAnswer)
	}
	var a struct {
		Carrier *string `json:"carrier"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return "", fmt.Errorf("answer is not a JSON object: %w", err)
	}
	switch {
	case a.Carrier == nil:
		return "", errors.New(`answer has no "carrier"`)
	case *a.Carrier != Unknown && !Valid(*a.Carrier):
		return "", fmt.Errorf("answer names unknown carrier %q", *a.Carrier)
	}
	return *a.Carrier, nil
}

func (h *hook) count(outcome string) {
	if h.metrics != nil {
		h.metrics.CarrierLookups.WithLabelValues(outcome).Inc()
	}
}

// failed logs a failed lookup: the number at debug only, a warning at most
// once per failLogEvery with the count since the last one.
func (h *hook) failed(number, outcome string, err error) {
	h.log.Debug().Str("number", number).Str("outcome", outcome).AnErr("cause", err).
		Msg("carrier lookup failed; the number range decides")
	h.failMu.Lock()
	h.failures++
	now := h.now()
	if now.Sub(h.failLogged) < failLogEvery {
		h.failMu.Unlock()
		return
	}
	n := h.failures
	h.failures, h.failLogged = 0, now
	h.failMu.Unlock()
	h.log.Warn().Str("outcome", outcome).AnErr("cause", err).Int("failures", n).
		Msg("carrier lookup hook failed; the number range decides (failures counts those since the last such line)")
}

func (h *hook) close() { h.client.CloseIdleConnections() }
