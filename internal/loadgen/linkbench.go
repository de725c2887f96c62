package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// LinkBenchConfig configures RunLinkBench. Zero fields take the defaults
// listed with them.
type LinkBenchConfig struct {
	// Binary is the smsbridge executable run as `simulator`. Default
	// os.Executable() (the running `smsbridge bench-link`). Another build
	// may be given to compare simulators with the same client.
	Binary string
	// Duration is the measured window. Default 10 s.
	Duration time.Duration
	// Warmup runs the same load before the window, unmeasured. Default 1 s;
	// negative means none.
	Warmup time.Duration
	// Window is the link's window W. Default 16.
	Window int
	// Workers is the number of goroutines calling Link.Submit in a loop
	// (more than Window keeps the window full). Default 64.
	Workers int
	// Version of the link. Default 3.0.
	Version cmpp.Version
	// ContentBytes is the Msg_Content length of every SUBMIT (UCS-2,
	// 1..140). Default 140: one full segment.
	ContentBytes int
	// Reports asks for a status report per SUBMIT; the link acknowledges
	// every report DELIVER.
	Reports bool
	// ReportDelay of the simulator (with Reports). Default 10 ms.
	ReportDelay time.Duration
	// SimFlushDelay is the simulator's flush_delay. Default 0.
	SimFlushDelay time.Duration
	// LinkFlushDelay is the link's LinkConfig.FlushDelay. Default 0: the
	// link's own default.
	LinkFlushDelay time.Duration
	// SimCPUProfile, when set, is passed to `smsbridge simulator
	// -cpuprofile`; CPUProfile is written by this process over the window.
	SimCPUProfile string
	CPUProfile    string
	// ReadyTimeout bounds the wait for the simulator to listen. Default 30 s.
	ReadyTimeout time.Duration
	// KeepDir keeps the generated configuration and the simulator's log.
	KeepDir bool
}

// LinkReport is the outcome of RunLinkBench.
type LinkReport struct {
	// StartedAt is the start of the measured window.
	StartedAt time.Time `json:"started_at"`
	// Host is the machine the tool ran on.
	Host Host `json:"host"`
	// Settings echoes the configuration (defaults applied).
	Settings LinkBenchSettings `json:"settings"`
	// Seconds is the length of the measured window.
	Seconds float64 `json:"seconds"`
	// Submits is the number of SUBMITs answered with Result 0 in the window.
	Submits uint64 `json:"submits"`
	// SubmitsPerSec is Submits / Seconds.
	SubmitsPerSec float64 `json:"submits_per_sec"`
	// Reports is the number of report DELIVERs acknowledged in the window.
	Reports uint64 `json:"reports"`
	// Failed is the number of Submit calls that returned an error.
	Failed uint64 `json:"failed"`
	// FirstError is the text of the first error, if any.
	FirstError string `json:"first_error,omitempty"`
	// Latency is the duration of Link.Submit calls (window slot wait included).
	Latency LatencySummary `json:"latency"`
	// FramesPerWrite is the link's frames written per socket write.
	FramesPerWrite float64 `json:"link_frames_per_write"`
	// Client is this process (the link), Simulator the child process.
	Client    ProcessFigures `json:"client"`
	Simulator ProcessFigures `json:"simulator"`
}

// LinkBenchSettings is the configuration a LinkReport ran with.
type LinkBenchSettings struct {
	Window         int     `json:"window"`
	Workers        int     `json:"workers"`
	Version        string  `json:"version"`
	ContentBytes   int     `json:"content_bytes"`
	Reports        bool    `json:"reports"`
	ReportDelayMS  float64 `json:"report_delay_ms"`
	SimFlushDelay  float64 `json:"sim_flush_delay_us"`
	LinkFlushDelay float64 `json:"link_flush_delay_us"`
	Binary         string  `json:"simulator_binary"`
}

// ProcessFigures are one process's costs over the window.
type ProcessFigures struct {
	// CPUSeconds is user + system time.
	CPUSeconds float64 `json:"cpu_seconds"`
	// CPUMicrosPerSubmit is CPUSeconds per answered SUBMIT, in µs.
	CPUMicrosPerSubmit float64 `json:"cpu_us_per_submit"`
	// Syscalls are the read- and write-class system calls (/proc/<pid>/io).
	Syscalls IOCounts `json:"syscalls"`
	// ReadsPerSubmit and WritesPerSubmit divide them by answered SUBMITs;
	// for the simulator WritesPerSubmit is its writes per response.
	ReadsPerSubmit  float64 `json:"reads_per_submit"`
	WritesPerSubmit float64 `json:"writes_per_submit"`
	// Error says why a figure could not be read.
	Error string `json:"error,omitempty"`
}

// Fixed identities of the link bench's account.
const (
	linkBenchSPID  = "900001"
	linkBenchSrcID = "1065800001"
)

// withDefaults fills zero fields.
func (c LinkBenchConfig) withDefaults() (LinkBenchConfig, error) {
	var err error
	if c.Binary == "" {
		if c.Binary, err = os.Executable(); err != nil {
			return c, fmt.Errorf("bench-link: %w", err)
		}
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Warmup == 0 {
		c.Warmup = time.Second
	}
	setDefaultInt(&c.Window, 16)
	setDefaultInt(&c.Workers, 64)
	setDefaultInt(&c.ContentBytes, 140)
	if c.Version == 0 {
		c.Version = cmpp.V30
	}
	if c.ReportDelay == 0 {
		c.ReportDelay = 10 * time.Millisecond
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 30 * time.Second
	}
	switch {
	case c.Duration < 0:
		return c, errors.New("bench-link: negative duration")
	case c.Window < 1 || c.Workers < 1:
		return c, errors.New("bench-link: window and workers must be at least 1")
	case c.ContentBytes < 1 || c.ContentBytes > 140:
		return c, fmt.Errorf("bench-link: content bytes %d, want 1..140", c.ContentBytes)
	}
	return c, nil
}

// RunLinkBench starts `smsbridge simulator` as a child process on a free
// loopback port (as deployed: the link and the ISMG in separate processes),
// dials one cmpp.Link to it and keeps its window full with Workers
// goroutines calling Submit for Warmup + Duration. It measures the window:
// submits/s, Submit latency, and each process's CPU time and system calls
// per SUBMIT. It stops the simulator before returning.
func RunLinkBench(ctx context.Context, cfg LinkBenchConfig) (*LinkReport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sim, addr, secret, cleanup, err := startLinkBenchSimulator(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	var reports atomic.Uint64
	link, err := cmpp.Dial(ctx, cmpp.LinkConfig{
		Addr: addr, SPID: linkBenchSPID, Secret: secret, Version: cfg.Version, Window: cfg.Window,
		FlushDelay: cfg.LinkFlushDelay,
		DeliverHandler: func(context.Context, *cmpp.Deliver) error {
			reports.Add(1)
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bench-link: dial the simulator: %w\n%s", err, sim.tail())
	}
	defer func() { _ = link.Close(context.Background()) }()

	d := &linkDriver{link: link, submit: linkBenchSubmit(cfg), hists: make([]Histogram, cfg.Workers)}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for i := range cfg.Workers {
		wg.Go(func() { d.work(runCtx, &d.hists[i]) })
	}
	if cfg.Warmup > 0 {
		if err := sleepCtx(ctx, cfg.Warmup); err != nil {
			stop()
			wg.Wait()
			return nil, err
		}
	}
	rep, err := d.measure(ctx, cfg, sim.cmd.Process.Pid, &reports)
	stop()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	rep.Latency = d.latency()
	rep.Settings = LinkBenchSettings{
		Window: cfg.Window, Workers: cfg.Workers, Version: cfg.Version.String(), ContentBytes: cfg.ContentBytes,
		Reports: cfg.Reports, ReportDelayMS: ms(cfg.ReportDelay),
		SimFlushDelay:  float64(cfg.SimFlushDelay) / float64(time.Microsecond),
		LinkFlushDelay: float64(cfg.LinkFlushDelay) / float64(time.Microsecond), Binary: cfg.Binary,
	}
	return rep, nil
}

// linkDriver keeps the link's window full and counts the outcomes.
type linkDriver struct {
	link     *cmpp.Link
	submit   *cmpp.Submit
	ok       atomic.Uint64
	failed   atomic.Uint64
	firstErr atomic.Pointer[string]
	hists    []Histogram // one per worker; merged after the workers stop
	record   atomic.Bool // workers record latencies (during the window)
}

// work submits until ctx ends.
func (d *linkDriver) work(ctx context.Context, h *Histogram) {
	for ctx.Err() == nil {
		start := time.Now()
		_, err := d.link.Submit(ctx, d.submit)
		switch {
		case err == nil:
			d.ok.Add(1)
			if d.record.Load() {
				h.Record(time.Since(start))
			}
		case ctx.Err() != nil:
			return
		default:
			d.failed.Add(1)
			msg := err.Error()
			d.firstErr.CompareAndSwap(nil, &msg)
			if errors.Is(err, cmpp.ErrLinkClosed) {
				return
			}
		}
	}
}

// measure samples the counters around the window and builds the report.
func (d *linkDriver) measure(ctx context.Context, cfg LinkBenchConfig, simPID int, reports *atomic.Uint64) (*LinkReport, error) {
	stopProfile := func() {}
	if cfg.CPUProfile != "" {
		var err error
		if stopProfile, err = startCPUProfile(cfg.CPUProfile); err != nil {
			return nil, err
		}
	}
	host := hostInfo()
	statStart, statStartOK := readCPUTimes()
	a := sampleLinkBench(d, simPID, reports)
	d.record.Store(true)
	start := time.Now()
	err := sleepCtx(ctx, cfg.Duration)
	b := sampleLinkBench(d, simPID, reports)
	d.record.Store(false)
	stopProfile()
	if err != nil {
		return nil, err
	}
	statEnd, statEndOK := readCPUTimes()
	host.LoadAvgEnd = loadAvg1()
	host.StealPercent = stealPercent(statStart, statEnd, statStartOK, statEndOK)
	host.SpeedEnd = cpuSpeed()

	secs := b.at.Sub(a.at).Seconds()
	n := b.ok - a.ok
	rep := &LinkReport{
		StartedAt: start, Host: host, Seconds: secs, Submits: n, SubmitsPerSec: perSec(float64(n), secs),
		Reports: b.reports - a.reports, Failed: b.failed - a.failed,
		Client: processFigures(a.client, b.client, n), Simulator: processFigures(a.sim, b.sim, n),
	}
	if p := d.firstErr.Load(); p != nil {
		rep.FirstError = *p
	}
	if w := b.stats.Flushes - a.stats.Flushes; w > 0 {
		rep.FramesPerWrite = float64(b.stats.FramesWritten-a.stats.FramesWritten) / float64(w)
	}
	return rep, nil
}

// latency merges the workers' histograms; call after they stopped.
func (d *linkDriver) latency() LatencySummary {
	var all Histogram
	for i := range d.hists {
		all.Merge(&d.hists[i])
	}
	return all.Summary()
}

// linkBenchSample is one reading of every counter.
type linkBenchSample struct {
	at                  time.Time
	ok, failed, reports uint64
	stats               cmpp.LinkStats
	client, sim         processSample
}

// processSample is one reading of a process's CPU time and syscalls.
type processSample struct {
	cpu    float64
	io     IOCounts
	cpuErr error
	ioErr  error
}

func sampleLinkBench(d *linkDriver, simPID int, reports *atomic.Uint64) linkBenchSample {
	s := linkBenchSample{at: time.Now(), ok: d.ok.Load(), failed: d.failed.Load(), reports: reports.Load(),
		stats: d.link.Stats()}
	s.client.cpu, s.client.cpuErr = selfCPUSeconds()
	s.client.io, s.client.ioErr = ProcIO(0)
	s.sim.cpu, s.sim.cpuErr = ProcCPUSeconds(simPID)
	s.sim.io, s.sim.ioErr = ProcIO(simPID)
	return s
}

// processFigures turns two samples into per-SUBMIT costs.
func processFigures(a, b processSample, submits uint64) ProcessFigures {
	var f ProcessFigures
	per := func(v float64) float64 {
		if submits == 0 {
			return 0
		}
		return v / float64(submits)
	}
	if err := errors.Join(a.cpuErr, b.cpuErr); err != nil {
		f.Error = err.Error()
	} else {
		f.CPUSeconds = b.cpu - a.cpu
		f.CPUMicrosPerSubmit = per(f.CPUSeconds * 1e6)
	}
	if err := errors.Join(a.ioErr, b.ioErr); err != nil {
		f.Error = errors.Join(errors.New(f.Error), err).Error()
	} else {
		f.Syscalls = b.io.Sub(a.io)
		f.ReadsPerSubmit = per(float64(f.Syscalls.Reads))
		f.WritesPerSubmit = per(float64(f.Syscalls.Writes))
	}
	return f
}

// linkBenchSubmit is the SUBMIT every worker sends (read-only, shared).
func linkBenchSubmit(cfg LinkBenchConfig) *cmpp.Submit {
	content := make([]byte, cfg.ContentBytes)
	for i := range content {
		content[i] = byte('A' + i%26)
		if i%2 == 0 {
			content[i] = 0 // UCS-2 big-endian ASCII letters
		}
	}
	s := &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, ServiceID: "BENCH", FeeUserType: 2, MsgFmt: 8, MsgSrc: linkBenchSPID,
		FeeType: "01", FeeCode: "000000", SrcID: linkBenchSrcID, DestTerminalIDs: []string{"13800138000"},
		MsgContent: content,
	}
	if cfg.Reports {
		s.RegisteredDelivery = 1
	}
	return s
}

// startLinkBenchSimulator writes the simulator's configuration and starts
// it; cleanup stops it and removes the directory.
func startLinkBenchSimulator(ctx context.Context, cfg LinkBenchConfig) (sim *child, addr, secret string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "smsbridge-bench-link-")
	if err != nil {
		return nil, "", "", nil, fmt.Errorf("bench-link: %w", err)
	}
	cleanup = func() {
		if sim != nil {
			_ = sim.stop(10 * time.Second)
		}
		if !cfg.KeepDir {
			_ = os.RemoveAll(dir)
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	ports, err := freePorts(1)
	if err != nil {
		return nil, "", "", nil, fmt.Errorf("bench-link: %w", err)
	}
	addr = "127.0.0.1:" + strconv.Itoa(ports[0])
	secret = randomHex(6)
	path := filepath.Join(dir, "simulator.yaml")
	if err = os.WriteFile(path, linkBenchSimulatorYAML(cfg, addr, secret), 0o600); err != nil {
		return nil, "", "", nil, fmt.Errorf("bench-link: %w", err)
	}
	args := []string{"simulator", "-config", path}
	if cfg.SimCPUProfile != "" {
		args = append(args, "-cpuprofile", cfg.SimCPUProfile)
	}
	if sim, err = startChild("simulator", cfg.Binary, args, filepath.Join(dir, "simulator.log")); err != nil {
		return nil, "", "", nil, err
	}
	if err = waitListening(ctx, addr, cfg.ReadyTimeout, sim.done); err != nil {
		return nil, "", "", nil, fmt.Errorf("bench-link: simulator: %w\n%s", err, sim.tail())
	}
	return sim, addr, secret, cleanup, nil
}

// linkBenchSimulatorYAML is the generated simulator configuration: one
// account without limits, no record of received segments.
func linkBenchSimulatorYAML(cfg LinkBenchConfig, addr, secret string) []byte {
	return []byte(fmt.Sprintf(`# generated by smsbridge bench-link
addr: %q
admin_addr: ""
report_delay: %s
flush_delay: %s
max_received: -1
accounts:
  - {sp_id: %q, secret: %q, max_links: 0, max_submits_per_sec: 0, src_id_prefix: %q}
`, addr, cfg.ReportDelay, max(cfg.SimFlushDelay, 0), linkBenchSPID, secret, linkBenchSrcID))
}

// startCPUProfile writes a CPU profile of this process to path until the
// returned function is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench-link: cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("bench-link: cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WriteTable prints the report for people.
func (r *LinkReport) WriteTable(out io.Writer) error {
	s := r.Settings
	reports := "off"
	if s.Reports {
		reports = fmt.Sprintf("on (delay %.0f ms), %d acknowledged", s.ReportDelayMS, r.Reports)
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "one cmpp.Link, simulator in its own process\t%s, window %d, %d workers, %d-byte content, reports %s\n",
		s.Version, s.Window, s.Workers, s.ContentBytes, reports)
	fmt.Fprintf(w, "host\t%d CPUs, %s, load %.2f → %.2f, speed %.0f → %.0f MB/s, steal %.1f %%\n",
		r.Host.CPUs, r.Host.CPUModel, r.Host.LoadAvgStart, r.Host.LoadAvgEnd, r.Host.SpeedStart, r.Host.SpeedEnd, r.Host.StealPercent)
	fmt.Fprintf(w, "submits/s\t%.0f (%d in %.2f s, %d failed)\n", r.SubmitsPerSec, r.Submits, r.Seconds, r.Failed)
	fmt.Fprintf(w, "Submit latency ms\tp50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(w, "link frames per write\t%.1f\n", r.FramesPerWrite)
	for _, p := range []struct {
		name string
		f    ProcessFigures
	}{{"client (this process)", r.Client}, {"simulator", r.Simulator}} {
		fmt.Fprintf(w, "%s\tCPU %.1f µs/submit (%.2f s), syscalls per submit: %.3f reads, %.3f writes\n",
			p.name, p.f.CPUMicrosPerSubmit, p.f.CPUSeconds, p.f.ReadsPerSubmit, p.f.WritesPerSubmit)
		if p.f.Error != "" {
			fmt.Fprintf(w, "  %s figures\tincomplete: %s\n", p.name, p.f.Error)
		}
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error\t%s\n", r.FirstError)
	}
	return w.Flush()
}
