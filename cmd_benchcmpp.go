package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/loadgen"
)

// benchCMPPCommand measures customer CMPP links into smsbridge's CMPP
// server (see loadgen.RunCMPPBench): against a running server (-addr,
// -account, -secret), or with -spawn against a service it starts itself
// whose channel holds the segments (default) or sends them to the
// simulator (-upstream).
func benchCMPPCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench-cmpp")
	var cfg loadgen.CMPPBenchConfig
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7890", "CMPP server of a running smsbridge (not with -spawn)")
	fs.StringVar(&cfg.Account, "account", "910001", "CMPP account (login Source_Addr; not with -spawn)")
	fs.StringVar(&cfg.Secret, "secret", "demo-cmpp", "the account's secret (not with -spawn)")
	fs.StringVar(&cfg.SrcID, "src-id", "", `Src_Id of every SUBMIT ("" = the account's service code)`)
	version := fs.String("version", "3.0", `protocol version: "2.0" or "3.0"`)
	fs.DurationVar(&cfg.Duration, "duration", loadgen.DefaultCMPPDuration, "measured window")
	fs.DurationVar(&cfg.Warmup, "warmup", loadgen.DefaultCMPPWarmup, "unmeasured load before the window (negative = none)")
	fs.IntVar(&cfg.Window, "window", loadgen.DefaultCMPPWindow, "window W of each customer link")
	fs.IntVar(&cfg.Links, "links", 1, "customer links (the account's max_links must allow them)")
	fs.IntVar(&cfg.Workers, "workers", 0, "goroutines calling Submit per link (default 4 × -window)")
	fs.IntVar(&cfg.Dests, "dests", 1, "destinations per SUBMIT (1..100)")
	fs.BoolVar(&cfg.UCS2Long, "ucs2-long", false, "send 3-segment UCS2 messages with a concatenation UDH (one SUBMIT per segment)")
	fs.DurationVar(&cfg.Drain, "drain", loadgen.DefaultCMPPDrain, "-upstream: longest wait for outstanding report DELIVERs after the window")
	expect := fs.Bool("expect-reports", false, "count report DELIVERs against accepted destinations (implied by -upstream; for a running server whose channel reports)")
	jsonPath := fs.String("json", "", "also write the report as JSON to this file")

	var sp loadgen.CMPPSpawnConfig
	spawn := fs.Bool("spawn", false, "start a service (this binary's `serve`) with a generated config against a real Redis: a tenant with CMPP access and one channel; bench it, stop it and delete its keys")
	hold := fs.Bool("hold", false, "-spawn: the channel's upstream is a closed port on purpose, so segments stay queued: measures \"stored in Redis, SUBMIT_RESP sent\" (the default)")
	fs.BoolVar(&sp.Upstream, "upstream", false, "-spawn: the channel sends to the simulator (its own process): the full pipeline, reports come back as DELIVERs and are counted")
	fs.StringVar(&sp.RedisAddr, "redis", "", "-spawn: Redis address (default $REDIS_ADDR, else 127.0.0.1:6379)")
	fs.StringVar(&sp.CPUProfile, "cpuprofile", "", "-spawn: the service writes a CPU profile to this file")
	fs.StringVar(&sp.LogLevel, "service-log", "warn", "-spawn: service log level")
	fs.BoolVar(&sp.KeepDir, "keep", false, "-spawn: keep the generated configs and child logs")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench-cmpp: unexpected argument %q", fs.Arg(0))
	}
	v, err := ismgsim.ParseVersion(*version)
	if err != nil || v == 0 || v.String() == "2.1" {
		return fmt.Errorf("bench-cmpp: -version %q: want 2.0 or 3.0", *version)
	}
	cfg.Version = v
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !*spawn {
		for _, name := range []string{"hold", "upstream", "redis", "cpuprofile", "service-log", "keep"} {
			if set[name] {
				return fmt.Errorf("bench-cmpp: -%s needs -spawn", name)
			}
		}
	}
	if *hold && sp.Upstream {
		return fmt.Errorf("bench-cmpp: -hold and -upstream exclude each other")
	}
	cfg.ExpectReports = *expect || sp.Upstream
	if *spawn {
		for _, name := range []string{"addr", "account", "secret"} {
			if set[name] {
				return fmt.Errorf("bench-cmpp: -%s is for a running server, not with -spawn", name)
			}
		}
		if sp.RedisAddr == "" {
			sp.RedisAddr = os.Getenv("REDIS_ADDR")
		}
		if sp.RedisAddr == "" {
			sp.RedisAddr = "127.0.0.1:6379"
		}
		sp.Links = cfg.Links
		mode := "channel held (segments stay queued)"
		if sp.Upstream {
			mode = "channel to the simulator (full pipeline)"
		}
		fmt.Fprintf(stderr, "bench-cmpp: starting the service (redis %s, %s)\n", sp.RedisAddr, mode)
		s, err := loadgen.SpawnCMPP(ctx, sp)
		if err != nil {
			return err
		}
		defer func() {
			if err := s.Close(); err != nil {
				fmt.Fprintf(stderr, "bench-cmpp: stopping the spawned processes: %v\n", err)
			}
		}()
		fmt.Fprintf(stderr, "bench-cmpp: CMPP server at %s (redis prefix %s, files in %s)\n", s.Addr, s.Prefix, s.Dir)
		cfg.Addr, cfg.Account, cfg.Secret, cfg.CPUProbes = s.Addr, s.Account, s.Secret, s.CPUProbes()
	}
	rep, err := loadgen.RunCMPPBench(ctx, cfg)
	if err != nil {
		return err
	}
	if err := writeReport(stdout, rep, *jsonPath, "bench-cmpp"); err != nil {
		return err
	}
	if rep.Errors > 0 {
		return fmt.Errorf("bench-cmpp: %d SUBMITs got no SUBMIT_RESP: %s", rep.Errors, rep.FirstError)
	}
	if cfg.ExpectReports && rep.ReportsReceived < rep.ReportsExpected {
		return fmt.Errorf("bench-cmpp: %d report DELIVERs missing after -drain %v", rep.ReportsExpected-rep.ReportsReceived, cfg.Drain)
	}
	return nil
}
