package main

import (
	"context"
	"fmt"
	"io"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/loadgen"
)

// benchLinkCommand measures one cmpp.Link against the ISMG simulator run
// as a separate process (see loadgen.RunLinkBench).
func benchLinkCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench-link")
	var cfg loadgen.LinkBenchConfig
	fs.DurationVar(&cfg.Duration, "duration", 0, "measured window (default 10s)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "unmeasured load before the window (default 1s; negative = none)")
	fs.IntVar(&cfg.Window, "window", 16, "window W of the link")
	fs.IntVar(&cfg.Workers, "workers", 64, "goroutines calling Submit (more than -window keeps it full)")
	version := fs.String("version", "3.0", `protocol version: "2.0", "2.1" or "3.0"`)
	fs.IntVar(&cfg.ContentBytes, "content-bytes", 140, "Msg_Content bytes of every SUBMIT (1..140)")
	fs.BoolVar(&cfg.Reports, "reports", false, "ask for a status report per SUBMIT (the link acknowledges each DELIVER)")
	fs.DurationVar(&cfg.ReportDelay, "report-delay", 0, "simulator report_delay with -reports (default 10ms)")
	fs.DurationVar(&cfg.SimFlushDelay, "sim-flush-delay", 0, "simulator flush_delay (default 0)")
	fs.DurationVar(&cfg.LinkFlushDelay, "link-flush-delay", 0, "the link's FlushDelay (default: the link default, 500µs)")
	fs.StringVar(&cfg.Binary, "sim-binary", "", "smsbridge executable to run as the simulator (default: this binary)")
	fs.StringVar(&cfg.SimCPUProfile, "sim-cpuprofile", "", "the simulator writes a CPU profile to this file (from start to stop)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (the link) over the window to this file")
	fs.BoolVar(&cfg.KeepDir, "keep", false, "keep the generated simulator configuration and log")
	jsonPath := fs.String("json", "", "also write the report as JSON to this file")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench-link: unexpected argument %q", fs.Arg(0))
	}
	v, err := ismgsim.ParseVersion(*version)
	if err != nil || v == 0 {
		return fmt.Errorf("bench-link: -version %q: want 2.0, 2.1 or 3.0", *version)
	}
	cfg.Version = v
	rep, err := loadgen.RunLinkBench(ctx, cfg)
	if err != nil {
		return err
	}
	if err := writeReport(stdout, rep, *jsonPath, "bench-link"); err != nil {
		return err
	}
	if rep.Failed > 0 {
		return fmt.Errorf("bench-link: %d Submit calls failed: %s", rep.Failed, rep.FirstError)
	}
	return nil
}
