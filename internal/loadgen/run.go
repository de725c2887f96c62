package loadgen

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// drainPoll is how often the drain checks for outstanding webhooks.
const drainPoll = 20 * time.Millisecond

// Run offers the configured load to the service, waits for the webhooks
// (up to Config.Drain) and returns the report. It fails before sending
// anything if the receiver cannot listen or the first /metrics scrape
// fails; afterwards problems are counted in the report. Cancelling ctx
// ends the send phase and the drain early (the report covers what ran).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	tr := newTracker(time.Now())
	rcv, err := startReceiver(cfg.ReceiverAddr, cfg.WebhookSecret, tr)
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	defer rcv.close()
	callback := cfg.CallbackURL
	if callback == "" {
		callback = rcv.callbackURL()
	}
	p := newPoster(cfg, callback, tr)
	defer p.close()

	var sc *scraper
	if cfg.MetricsURL != MetricsOff {
		sc = newScraper(cfg.MetricsURL)
	}
	r := &runner{cfg: cfg, tr: tr, rcv: rcv, poster: p, scraper: sc}
	if cfg.RedisAddr != "" {
		r.rdb = redis.NewClient(&redis.Options{Addr: cfg.RedisAddr})
		defer r.rdb.Close()
	}
	return r.run(ctx)
}

// runner holds one Run's parts.
type runner struct {
	cfg     Config
	tr      *tracker
	rcv     *receiver
	poster  *poster
	scraper *scraper
	rdb     *redis.Client // nil without Config.RedisAddr; sent only INFO

	mu       sync.Mutex // guards the peaks, written by the progress loop
	peakRSS  float64
	peakPend float64
}

// cpuSample is the CPU seconds of every measured process at one instant.
type cpuSample struct {
	at   time.Time
	vals map[string]float64
	errs map[string]error
}

const (
	cpuService = "smsbridge (service)"
	cpuBench   = "bench (this tool)"
)

func (r *runner) sampleCPU(svc *ServiceCounters) cpuSample {
	s := cpuSample{at: time.Now(), vals: map[string]float64{}, errs: map[string]error{}}
	if svc != nil {
		s.vals[cpuService] = svc.CPUSeconds
	}
	if v, err := selfCPUSeconds(); err == nil {
		s.vals[cpuBench] = v
	} else {
		s.errs[cpuBench] = err
	}
	for _, p := range r.cfg.CPUProbes {
		if v, err := p.Read(); err == nil {
			s.vals[p.Name] = v
		} else {
			s.errs[p.Name] = err
		}
	}
	return s
}

func (r *runner) run(ctx context.Context) (*Report, error) {
	cfg := r.cfg
	var startCounters *ServiceCounters
	if r.scraper != nil {
		c, err := r.scraper.scrape(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w (use -metrics-url off to run without the service figures)", err)
		}
		startCounters = &c
		r.notePeaks(c)
	}
	host := hostInfo()
	statStart, statStartOK := readCPUTimes()
	cpuStart := r.sampleCPU(startCounters)
	windowStart := cpuStart.at
	redisStart, redisStartErr := r.readRedis(ctx)

	sched := Schedule{Start: time.Now().Add(10 * time.Millisecond), Rate: cfg.Rate, Duration: cfg.Duration}
	rep := &Report{StartedAt: sched.Start.UTC(), Host: host, Settings: Settings{
		URL: cfg.URL, Rate: cfg.Rate, Concurrency: cfg.Concurrency, DurationSeconds: cfg.Duration.Seconds(),
		Recipients: cfg.Recipients, ContentChars: len([]rune(cfg.Content)),
		SignaturesVerified: cfg.WebhookSecret != "", DrainLimitSeconds: cfg.Drain.Seconds(),
		WebhookBatchMax: cfg.WebhookBatchMax, Preset: cfg.Preset, Hold: cfg.Hold,
	}}
	rep.Requests.Scheduled = sched.Total()

	progressCtx, stopProgress := context.WithCancel(context.Background())
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		r.progress(progressCtx, sched.Start, startCounters)
	}()

	// Send phase: a fixed pool of Concurrency workers; the dispatcher
	// hands each due request to a free worker.
	type job struct {
		i   int64
		due time.Time
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w worker
			defer w.close()
			for j := range jobs {
				r.poster.post(ctx, &w, j.i, j.due)
			}
		}()
	}
	dispatch(ctx, sched, func(ctx context.Context, i int64, due time.Time) bool {
		select {
		case jobs <- job{i, due}:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(jobs)
	wg.Wait()
	sendEnd := time.Now()
	sendPhase := r.sendPhase(ctx, startCounters, windowStart)

	// Drain: wait for the webhooks of every accepted recipient (none
	// come from a held channel).
	drainLimit := cfg.Drain
	if cfg.Hold {
		drainLimit = 0
	}
	drainTimer := time.NewTimer(drainLimit)
	tick := time.NewTicker(drainPoll)
drain:
	for !cfg.Hold && r.tr.outstanding() > 0 {
		select {
		case <-ctx.Done():
			break drain
		case <-drainTimer.C:
			break drain
		case <-tick.C:
		}
	}
	drainTimer.Stop()
	tick.Stop()
	drainEnd := time.Now()

	var endCounters *ServiceCounters
	if r.scraper != nil {
		endCounters = r.finalScrape(ctx, startCounters)
	}
	cpuEnd := r.sampleCPU(endCounters)
	redisEnd, redisEndErr := r.readRedis(ctx)
	totals := r.tr.totals()
	stopProgress()
	<-progressDone

	statEnd, statEndOK := readCPUTimes()
	rep.Host.StealPercent = stealPercent(statStart, statEnd, statStartOK, statEndOK)
	rep.Host.LoadAvgEnd = loadAvg1()
	rep.Host.SpeedEnd = cpuSpeed()
	window := cpuEnd.at.Sub(windowStart).Seconds()
	rep.WindowSeconds = window
	rep.SendSeconds = sendEnd.Sub(sched.Start).Seconds()
	rep.DrainSeconds = drainEnd.Sub(sendEnd).Seconds()
	r.fillRequests(rep)
	rep.Webhooks = WebhookCounts{
		Unique: totals.unique, PerSec: perSec(float64(totals.unique), window), Matched: totals.matched,
		Duplicates: totals.duplicates, Unmatched: int64(totals.unmatched) + totals.badIDs,
		BadSignature: r.rcv.badSignature.Load(), Malformed: r.rcv.malformed.Load(),
		Other: r.rcv.otherTypes.Load(), ByStatus: totals.statuses,
		Posts: r.rcv.posts.Load(), BatchPosts: r.rcv.batchPosts.Load(),
	}
	rep.Lost = int64(totals.outstanding)
	if cfg.Hold {
		rep.Queued, rep.Lost = rep.Lost, 0
	}
	rep.SendPhase = sendPhase
	rep.Latency.AcceptToWebhook = totals.e2e.Summary()
	if startCounters != nil && endCounters != nil {
		rep.Service = r.serviceFigures(*startCounters, *endCounters, window)
	}
	for _, name := range append([]string{cpuService, cpuBench}, probeNames(cfg.CPUProbes)...) {
		pc := ProcessCPU{Name: name}
		a, okA := cpuStart.vals[name]
		b, okB := cpuEnd.vals[name]
		switch {
		case okA && okB:
			pc.Seconds = b - a
			pc.Cores = perSec(pc.Seconds, window)
		case cpuStart.errs[name] != nil:
			pc.Error = cpuStart.errs[name].Error()
		case cpuEnd.errs[name] != nil:
			pc.Error = cpuEnd.errs[name].Error()
		default:
			continue // the service without metrics
		}
		rep.CPU = append(rep.CPU, pc)
	}
	if r.rdb != nil {
		rep.Redis = redisFigures(cfg.RedisAddr, redisStart, redisEnd, window,
			rep.Requests.AcceptedRecipients, rep.Requests.AcceptedSegments)
		if err := cmp.Or(redisStartErr, redisEndErr); err != nil {
			rep.Redis = &RedisFigures{Addr: cfg.RedisAddr, Scope: RedisScope, Error: err.Error()}
		}
	}
	return rep, nil
}

// readRedis reads the measured Redis server's INFO (nothing without a
// Redis address).
func (r *runner) readRedis(ctx context.Context) (RedisInfo, error) {
	if r.rdb == nil {
		return RedisInfo{}, nil
	}
	info, err := ReadRedisInfo(context.WithoutCancel(ctx), r.rdb)
	if err != nil {
		r.note("redis %s: %v", r.cfg.RedisAddr, err)
	}
	return info, err
}

func probeNames(ps []CPUProbe) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// fillRequests copies the poster's counts and latencies into rep.
func (r *runner) fillRequests(rep *Report) {
	p := r.poster
	send := rep.SendSeconds
	rep.Requests.Sent = p.sent.Load()
	rep.Requests.Accepted = p.accepted.Load()
	rep.Requests.Failed = p.failed.Load()
	rep.Requests.AcceptedRecipients = p.acceptedRecipients.Load()
	rep.Requests.AcceptedSegments = p.acceptedSegments.Load()
	rep.Requests.SentPerSec = perSec(float64(rep.Requests.Sent), send)
	rep.Requests.AcceptedPerSec = perSec(float64(rep.Requests.Accepted), send)
	rep.Requests.AcceptedSegmentsPerSec = perSec(float64(rep.Requests.AcceptedSegments), send)
	rep.Settings.SegmentsPerRecipient = p.segmentsPerRcpt.Load()
	p.mu.Lock()
	defer p.mu.Unlock()
	rep.Errors = map[string]int64{}
	for k, v := range p.errors {
		rep.Errors[k] = v
	}
	if len(p.errorSamples) > 0 {
		rep.ErrorSamples = map[string]string{}
		for k, v := range p.errorSamples {
			rep.ErrorSamples[k] = v
		}
	}
	rep.Latency.Accept = p.accept.Summary()
	rep.Latency.AcceptFromSchedule = p.acceptDue.Summary()
	rep.Latency.StartLag = p.lag.Summary()
}

// serviceFigures turns two scrapes into the service section.
func (r *runner) serviceFigures(a, b ServiceCounters, window float64) *ServiceFigures {
	f := &ServiceFigures{
		SubmitsOK:         b.SubmitsOK - a.SubmitsOK,
		SubmitsOther:      b.SubmitsOther - a.SubmitsOther,
		Reports:           b.Reports - a.Reports,
		ReportsMatched:    b.ReportsMatched - a.ReportsMatched,
		WebhooksDelivered: b.WebhooksDelivered - a.WebhooksDelivered,
		WebhooksOther:     b.WebhooksOther - a.WebhooksOther,
		CPUSeconds:        b.CPUSeconds - a.CPUSeconds,
		RSSBytes:          b.RSSBytes,
		Start:             a,
		End:               b,
	}
	f.WebhookOutcomes = map[string]float64{}
	for k, v := range b.WebhookOutcomes {
		if d := v - a.WebhookOutcomes[k]; d != 0 {
			f.WebhookOutcomes[k] = d
		}
	}
	f.SubmitsPerSec = perSec(f.SubmitsOK, window)
	f.ReportsPerSec = perSec(f.Reports, window)
	f.CPUCores = perSec(f.CPUSeconds, window)
	if f.SubmitsOK > 0 {
		f.CPUMicrosPerSegment = f.CPUSeconds * 1e6 / f.SubmitsOK
	}
	r.mu.Lock()
	f.PeakRSSBytes = r.peakRSS
	f.PeakQueuePending = r.peakPend
	r.mu.Unlock()
	return f
}

// sendPhase measures the pipeline's rates from the start of the window to
// the end of the send phase: with the drain excluded they show which stage
// kept up with the offered load and which fell behind.
func (r *runner) sendPhase(ctx context.Context, start *ServiceCounters, windowStart time.Time) StageRates {
	webhooks := r.tr.uniqueEvents()
	at := time.Now()
	sr := StageRates{Seconds: at.Sub(windowStart).Seconds()}
	sr.WebhooksPerSec = perSec(float64(webhooks), sr.Seconds)
	sr.AcceptedSegmentsPerSec = perSec(float64(r.poster.acceptedSegments.Load()), sr.Seconds)
	if r.scraper == nil || start == nil {
		return sr
	}
	scrapeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), scrapeTimeout)
	c, err := r.scraper.scrape(scrapeCtx)
	cancel()
	if err != nil {
		r.note("scrape at the end of the send phase failed: %v", err)
		return sr
	}
	r.notePeaks(c)
	sr.SubmitsPerSec = perSec(c.SubmitsOK-start.SubmitsOK, sr.Seconds)
	sr.ReportsPerSec = perSec(c.Reports-start.Reports, sr.Seconds)
	sr.Backlog = &c
	return sr
}

// settleLimit bounds how long the final scrape waits for the service's
// webhook counter to catch up with what the receiver got (the service
// counts a delivery after the receiver's answer reaches it).
const settleLimit = 2 * time.Second

// finalScrape reads the service counters at the end of the window, once
// the service has counted every webhook the receiver answered (or after
// settleLimit). It returns nil if the service cannot be scraped.
func (r *runner) finalScrape(ctx context.Context, start *ServiceCounters) *ServiceCounters {
	ctx = context.WithoutCancel(ctx)
	deadline := time.Now().Add(settleLimit)
	for {
		scrapeCtx, cancel := context.WithTimeout(ctx, scrapeTimeout)
		c, err := r.scraper.scrape(scrapeCtx)
		cancel()
		if err != nil {
			r.note("final scrape failed: %v", err)
			return nil
		}
		r.notePeaks(c)
		received := float64(r.tr.uniqueEvents() + r.rcv.otherTypes.Load())
		if c.WebhooksDelivered-start.WebhooksDelivered >= received || time.Now().After(deadline) {
			return &c
		}
		t := time.NewTimer(drainPoll)
		<-t.C
	}
}

// notePeaks keeps the largest RSS and pending queue seen.
func (r *runner) notePeaks(c ServiceCounters) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peakRSS = max(r.peakRSS, c.RSSBytes)
	r.peakPend = max(r.peakPend, c.QueuePending)
}

// note writes one line to the progress writer, if any.
func (r *runner) note(format string, a ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "bench: "+format+"\n", a...)
	}
}

func perSec(n, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return n / seconds
}
