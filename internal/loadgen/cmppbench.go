package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// CMPPBenchConfig configures RunCMPPBench: customer CMPP links to a
// smsbridge CMPP server (cmpp_server). Zero fields take the defaults
// listed with them.
type CMPPBenchConfig struct {
	// Addr, Account and Secret log in to the server (required).
	Addr, Account, Secret string
	// Version of the links. Default 3.0.
	Version cmpp.Version
	// Duration is the measured window. Default 10 s.
	Duration time.Duration
	// Warmup runs the same load before the window, unmeasured. Default
	// 1 s; negative means none.
	Warmup time.Duration
	// Window is each link's window W. Default 16.
	Window int
	// Links is the number of customer links. Default 1.
	Links int
	// Workers per link call Submit in a loop (more than Window keeps the
	// window full). Default 4 × Window.
	Workers int
	// Dests is the number of destinations per SUBMIT (1..100). Default 1.
	Dests int
	// UCS2Long sends 3-segment UCS2 messages (a concatenation UDH, Pk_total
	// 3, TP_udhi 1) instead of one-segment ones.
	UCS2Long bool
	// SrcID is the SUBMIT's Src_Id ("" = the account's service code).
	SrcID string
	// ExpectReports waits up to Drain after the window for the status
	// report DELIVERs of every accepted SUBMIT's destinations (the
	// service's channel reaches an upstream that reports).
	ExpectReports bool
	// Drain bounds that wait. Default 30 s.
	Drain time.Duration
	// CPUProbes are read at the start and end of the window (the service,
	// Redis); the tool's own CPU is measured too.
	CPUProbes []CPUProbe
}

// CMPPReport is the outcome of RunCMPPBench.
type CMPPReport struct {
	// StartedAt is the start of the measured window.
	StartedAt time.Time `json:"started_at"`
	// Host is the machine the tool ran on.
	Host Host `json:"host"`
	// Settings echoes the configuration (defaults applied).
	Settings CMPPBenchSettings `json:"settings"`
	// Seconds is the length of the measured window.
	Seconds float64 `json:"seconds"`
	// Accepted is the number of SUBMIT_RESP Result 0 in the window;
	// AcceptedPerSec is Accepted / Seconds.
	Accepted       uint64  `json:"accepted"`
	AcceptedPerSec float64 `json:"accepted_per_sec"`
	// Results counts every SUBMIT_RESP of the window by Result ("0", "8", …).
	Results map[string]uint64 `json:"results"`
	// Errors counts Submit calls without a SUBMIT_RESP (timeout, link
	// lost) over the whole run; FirstError is the first one's text.
	Errors     uint64 `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Latency is SUBMIT → SUBMIT_RESP of accepted SUBMITs in the window
	// (window slot wait included).
	Latency LatencySummary `json:"latency"`
	// CPU is each probed process's CPU over the window, per accepted SUBMIT.
	CPU []CMPPProcessCPU `json:"cpu"`
	// ReportsExpected and ReportsReceived (with ExpectReports) count
	// report DELIVERs for every SUBMIT accepted over the whole run
	// (warm-up included); ReportsDuplicate counts those whose Msg_Id was
	// reported before.
	ReportsExpected  uint64 `json:"reports_expected,omitempty"`
	ReportsReceived  uint64 `json:"reports_received,omitempty"`
	ReportsDuplicate uint64 `json:"reports_duplicate,omitempty"`
	// MO counts MO DELIVERs received.
	MO uint64 `json:"mo,omitempty"`
}

// CMPPBenchSettings is the configuration a CMPPReport ran with.
type CMPPBenchSettings struct {
	Version  string `json:"version"`
	Links    int    `json:"links"`
	Window   int    `json:"window"`
	Workers  int    `json:"workers_per_link"`
	Dests    int    `json:"dests"`
	UCS2Long bool   `json:"ucs2_long"`
	Reports  bool   `json:"expect_reports"`
}

// CMPPProcessCPU is one process's CPU over the window.
type CMPPProcessCPU struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	// MicrosPerSubmit is Seconds per accepted SUBMIT, in µs.
	MicrosPerSubmit float64 `json:"us_per_submit"`
	// Error is why it could not be read ("" if it was).
	Error string `json:"error,omitempty"`
}

// Defaults of CMPPBenchConfig.
const (
	DefaultCMPPDuration = 10 * time.Second
	DefaultCMPPWarmup   = time.Second
	DefaultCMPPWindow   = 16
	DefaultCMPPDrain    = 30 * time.Second
	// MaxCMPPDests is the most destinations of one SUBMIT (DestUsr_tl).
	MaxCMPPDests = 100
	// cmppBenchParts is the number of segments of a UCS2Long message.
	cmppBenchParts = 3
	// cmppBenchSelf names this process in CMPPReport.CPU.
	cmppBenchSelf = "bench-cmpp (this process)"
)

// withDefaults fills zero fields and checks the rest.
func (c CMPPBenchConfig) withDefaults() (CMPPBenchConfig, error) {
	if c.Version == 0 {
		c.Version = cmpp.V30
	}
	if c.Duration == 0 {
		c.Duration = DefaultCMPPDuration
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultCMPPWarmup
	}
	if c.Drain == 0 {
		c.Drain = DefaultCMPPDrain
	}
	setDefaultInt(&c.Window, DefaultCMPPWindow)
	setDefaultInt(&c.Links, 1)
	setDefaultInt(&c.Workers, 4*c.Window)
	setDefaultInt(&c.Dests, 1)
	switch {
	case c.Addr == "" || c.Account == "":
		return c, errors.New("bench-cmpp: the server address and account are required")
	case c.Duration < 0:
		return c, errors.New("bench-cmpp: negative duration")
	case c.Window < 1 || c.Links < 1 || c.Workers < 1:
		return c, errors.New("bench-cmpp: window, links and workers must be at least 1")
	case c.Dests < 1 || c.Dests > MaxCMPPDests:
		return c, fmt.Errorf("bench-cmpp: dests %d, want 1..%d", c.Dests, MaxCMPPDests)
	}
	return c, nil
}

// RunCMPPBench logs Links customer links in to a smsbridge CMPP server
// and keeps each one's window full for Warmup + Duration, then measures
// the window: SUBMITs accepted per second, SUBMIT_RESP latency, Results,
// and the CPU of the probed processes per accepted SUBMIT. With
// ExpectReports it then waits (up to Drain) for the report DELIVER of
// every accepted destination. Every link is closed (TERMINATE) before it
// returns.
func RunCMPPBench(ctx context.Context, cfg CMPPBenchConfig) (*CMPPReport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	d := newCMPPDriver(cfg)
	links := make([]*cmpp.Link, 0, cfg.Links)
	defer func() {
		for _, l := range links {
			closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = l.Close(closeCtx)
			cancel()
		}
	}()
	for i := range cfg.Links {
		l, err := cmpp.Dial(ctx, cmpp.LinkConfig{
			Addr: cfg.Addr, SPID: cfg.Account, Secret: cfg.Secret, Version: cfg.Version, Window: cfg.Window,
			DeliverHandler: d.onDeliver,
		})
		if err != nil {
			return nil, fmt.Errorf("bench-cmpp: log in link %d to %s as %s: %w", i+1, cfg.Addr, cfg.Account, err)
		}
		links = append(links, l)
	}
	// Closing stop ends the workers after their SUBMIT in flight is
	// answered (its report is then expected too); ctx ends them at once.
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	defer halt()
	var wg sync.WaitGroup
	for li, l := range links {
		for w := range cfg.Workers {
			wk := &d.workers[li*cfg.Workers+w]
			wg.Go(func() { d.work(ctx, stop, l, wk) })
		}
	}
	if cfg.Warmup > 0 {
		if err := sleepCtx(ctx, cfg.Warmup); err != nil {
			halt()
			wg.Wait()
			return nil, err
		}
	}
	rep, err := d.measure(ctx)
	halt()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	d.finish(rep)
	if cfg.ExpectReports {
		rep.ReportsExpected = d.destsAccepted.Load()
		_ = waitCond(ctx, cfg.Drain, func() bool { return d.reports.Load() >= rep.ReportsExpected })
		rep.ReportsReceived, rep.ReportsDuplicate = d.reports.Load(), d.dupReports.Load()
	}
	rep.MO = d.mo.Load()
	return rep, nil
}

// cmppDriver keeps the links' windows full and counts the outcomes.
type cmppDriver struct {
	cfg           CMPPBenchConfig
	workers       []cmppWorker
	record        atomic.Bool // workers record into their window figures
	destsAccepted atomic.Uint64
	errors        atomic.Uint64
	firstErr      atomic.Pointer[string]
	reports       atomic.Uint64
	dupReports    atomic.Uint64
	mo            atomic.Uint64
	seenMu        sync.Mutex
	seen          map[cmpp.MsgID]struct{} // reported Msg_Ids (ExpectReports)
}

// cmppWorker is one Submit loop's own figures (no sharing on the hot path).
type cmppWorker struct {
	id       int
	hist     Histogram
	accepted uint64            // Result 0 in the window
	results  map[uint32]uint64 // every Result in the window
	mu       sync.Mutex        // guards accepted and results against measure's reads
}

func newCMPPDriver(cfg CMPPBenchConfig) *cmppDriver {
	d := &cmppDriver{cfg: cfg, workers: make([]cmppWorker, cfg.Links*cfg.Workers), seen: map[cmpp.MsgID]struct{}{}}
	for i := range d.workers {
		d.workers[i].id = i
		d.workers[i].results = map[uint32]uint64{}
	}
	return d
}

// onDeliver counts report and MO DELIVERs; a report's Msg_Id seen before
// is a duplicate.
func (d *cmppDriver) onDeliver(_ context.Context, p *cmpp.Deliver) error {
	if p.RegisteredDelivery != 1 {
		d.mo.Add(1)
		return nil
	}
	rep, err := p.Report()
	if err != nil {
		return nil // counted nowhere: a malformed report would show as missing
	}
	d.seenMu.Lock()
	_, dup := d.seen[rep.MsgID]
	d.seen[rep.MsgID] = struct{}{}
	d.seenMu.Unlock()
	if dup {
		d.dupReports.Add(1)
		return nil
	}
	d.reports.Add(1)
	return nil
}

// work submits on l until stop is closed (the SUBMIT in flight is
// answered first) or ctx ends. Destination numbers differ per SUBMIT; a
// UCS2Long worker sends its messages' segments in order.
func (d *cmppDriver) work(ctx context.Context, stop <-chan struct{}, l *cmpp.Link, w *cmppWorker) {
	var n uint64
	for ctx.Err() == nil {
		select {
		case <-stop:
			return
		default:
		}
		sub := d.submit(w.id, n)
		n++
		start := time.Now()
		_, err := l.Submit(ctx, sub)
		var rerr *cmpp.ResultError
		switch {
		case err == nil:
			d.destsAccepted.Add(uint64(len(sub.DestTerminalIDs)))
			if d.record.Load() {
				w.hist.Record(time.Since(start))
				w.mu.Lock()
				w.accepted++
				w.results[0]++
				w.mu.Unlock()
			}
		case errors.As(err, &rerr):
			if d.record.Load() {
				w.mu.Lock()
				w.results[rerr.Result]++
				w.mu.Unlock()
			}
		case ctx.Err() != nil:
			return
		default:
			d.errors.Add(1)
			msg := err.Error()
			d.firstErr.CompareAndSwap(nil, &msg)
			if errors.Is(err, cmpp.ErrLinkClosed) {
				return
			}
		}
	}
}

// submit builds the n-th SUBMIT of worker id.
func (d *cmppDriver) submit(id int, n uint64) *cmpp.Submit {
	dests := make([]string, d.cfg.Dests)
	msg := n
	if d.cfg.UCS2Long {
		msg = n / cmppBenchParts
	}
	for i := range dests {
		// 139 + 8 digits: distinct per worker, message and destination.
		dests[i] = "139" + fmt.Sprintf("%08d", (uint64(id)*1_000_003+msg*uint64(d.cfg.Dests)+uint64(i))%100_000_000)
	}
	s := &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, ServiceID: "BENCH", FeeUserType: 2, MsgFmt: 8,
		MsgSrc: d.cfg.Account, FeeType: "01", FeeCode: "000000", SrcID: d.cfg.SrcID, DestTerminalIDs: dests,
		MsgContent: cmppBenchText,
	}
	if d.cfg.UCS2Long {
		part := uint8(n%cmppBenchParts) + 1
		s.PkTotal, s.PkNumber, s.TPUDHI = cmppBenchParts, part, 1
		// 8-bit reference per worker and message.
		ref := byte(uint64(id)*31 + msg)
		s.MsgContent = append([]byte{5, 0, 3, ref, cmppBenchParts, part}, cmppBenchLongPart...)
	}
	return s
}

// cmppBenchText is a one-segment UCS2 text (70 characters, 140 octets);
// cmppBenchLongPart is the 67-character part after a 6-octet UDH.
var cmppBenchText, cmppBenchLongPart = ucs2Letters(70), ucs2Letters(67)

// ucs2Letters returns n UCS2 big-endian capital letters.
func ucs2Letters(n int) []byte {
	b := make([]byte, 2*n)
	for i := range n {
		b[2*i+1] = byte('A' + i%26)
	}
	return b
}

// cmppSample is one reading of the counters and the CPU probes.
type cmppSample struct {
	at       time.Time
	accepted uint64
	cpu      []float64
	cpuErr   []error
}

func (d *cmppDriver) sample() cmppSample {
	s := cmppSample{at: time.Now()}
	for i := range d.workers {
		w := &d.workers[i]
		w.mu.Lock()
		s.accepted += w.accepted
		w.mu.Unlock()
	}
	self, err := selfCPUSeconds()
	s.cpu, s.cpuErr = append(s.cpu, self), append(s.cpuErr, err)
	for _, p := range d.cfg.CPUProbes {
		v, err := p.Read()
		s.cpu, s.cpuErr = append(s.cpu, v), append(s.cpuErr, err)
	}
	return s
}

// measure samples around the window.
func (d *cmppDriver) measure(ctx context.Context) (*CMPPReport, error) {
	host := hostInfo()
	statStart, statStartOK := readCPUTimes()
	d.record.Store(true)
	a := d.sample()
	err := sleepCtx(ctx, d.cfg.Duration)
	b := d.sample()
	d.record.Store(false)
	if err != nil {
		return nil, err
	}
	statEnd, statEndOK := readCPUTimes()
	host.LoadAvgEnd = loadAvg1()
	host.StealPercent = stealPercent(statStart, statEnd, statStartOK, statEndOK)
	host.SpeedEnd = cpuSpeed()
	secs := b.at.Sub(a.at).Seconds()
	n := b.accepted - a.accepted
	rep := &CMPPReport{StartedAt: a.at, Host: host, Seconds: secs, Accepted: n, AcceptedPerSec: perSec(float64(n), secs)}
	names := append([]string{cmppBenchSelf}, probeNames(d.cfg.CPUProbes)...)
	for i, name := range names {
		c := CMPPProcessCPU{Name: name}
		if err := errors.Join(a.cpuErr[i], b.cpuErr[i]); err != nil {
			c.Error = err.Error()
		} else {
			c.Seconds = b.cpu[i] - a.cpu[i]
			if n > 0 {
				c.MicrosPerSubmit = c.Seconds * 1e6 / float64(n)
			}
		}
		rep.CPU = append(rep.CPU, c)
	}
	cfg := d.cfg
	rep.Settings = CMPPBenchSettings{
		Version: cfg.Version.String(), Links: cfg.Links, Window: cfg.Window, Workers: cfg.Workers,
		Dests: cfg.Dests, UCS2Long: cfg.UCS2Long, Reports: cfg.ExpectReports,
	}
	return rep, nil
}

// finish merges the workers' figures into rep; call after they stopped.
// The latency and Result figures are those of SUBMITs answered while
// recording, which starts with the window's first sample.
func (d *cmppDriver) finish(rep *CMPPReport) {
	var all Histogram
	rep.Results = map[string]uint64{}
	for i := range d.workers {
		w := &d.workers[i]
		all.Merge(&w.hist)
		for r, c := range w.results {
			rep.Results[strconv.FormatUint(uint64(r), 10)] += c
		}
	}
	rep.Latency = all.Summary()
	rep.Errors = d.errors.Load()
	if p := d.firstErr.Load(); p != nil {
		rep.FirstError = *p
	}
}

// waitCond polls cond every readyPoll until it holds, timeout passes or
// ctx ends; it reports whether cond held.
func waitCond(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return cond()
		case <-tick.C:
		}
	}
	return true
}

// sortedResults lists r's Results in numeric order.
func (r *CMPPReport) sortedResults() []string {
	keys := slices.Collect(maps.Keys(r.Results))
	slices.SortFunc(keys, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return keys
}

// WriteTable prints the report for people.
func (r *CMPPReport) WriteTable(out io.Writer) error {
	s := r.Settings
	kind := "1-segment UCS2"
	if s.UCS2Long {
		kind = fmt.Sprintf("%d-segment UCS2 with UDH, one SUBMIT per segment", cmppBenchParts)
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "customer CMPP links to smsbridge\t%d × %s, window %d, %d workers per link, %d dest(s) per SUBMIT, %s\n",
		s.Links, s.Version, s.Window, s.Workers, s.Dests, kind)
	fmt.Fprintf(w, "host\t%d CPUs, %s, load %.2f → %.2f, speed %.0f → %.0f MB/s, steal %.1f %%\n",
		r.Host.CPUs, r.Host.CPUModel, r.Host.LoadAvgStart, r.Host.LoadAvgEnd, r.Host.SpeedStart, r.Host.SpeedEnd, r.Host.StealPercent)
	fmt.Fprintf(w, "SUBMITs/s accepted\t%.0f (%d Result 0 in %.2f s)\n", r.AcceptedPerSec, r.Accepted, r.Seconds)
	var results []string
	for _, k := range r.sortedResults() {
		results = append(results, fmt.Sprintf("%s: %d", k, r.Results[k]))
	}
	fmt.Fprintf(w, "SUBMIT_RESP Results\t%s; %d without answer\n", strings.Join(results, ", "), r.Errors)
	fmt.Fprintf(w, "SUBMIT_RESP latency ms\tp50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	for _, c := range r.CPU {
		if c.Error != "" {
			fmt.Fprintf(w, "CPU %s\tunknown: %s\n", c.Name, c.Error)
			continue
		}
		fmt.Fprintf(w, "CPU %s\t%.1f µs/SUBMIT (%.2f s)\n", c.Name, c.MicrosPerSubmit, c.Seconds)
	}
	if s.Reports {
		fmt.Fprintf(w, "report DELIVERs\t%d of %d expected (whole run), %d duplicate\n", r.ReportsReceived, r.ReportsExpected, r.ReportsDuplicate)
	}
	if r.MO > 0 {
		fmt.Fprintf(w, "MO DELIVERs\t%d\n", r.MO)
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error\t%s\n", r.FirstError)
	}
	return w.Flush()
}
