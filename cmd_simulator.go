package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
)

// simulatorCommand runs the ISMG simulator until ctx is cancelled.
func simulatorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("simulator")
	path := fs.String("config", "", "simulator YAML file (see cmpp/ismgsim/testdata/simulator.yaml); empty = defaults on 127.0.0.1:7890 with account 900001/888888")
	admin := fs.String("admin", "", "admin API listen address (overrides admin_addr)")
	logLevel := fs.String("log-level", "info", "log level: debug logs every PDU (one line per SUBMIT and DELIVER), info logins and link events")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (runtime/pprof) to this file from start until shutdown (used by `smsbridge bench-link`)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("simulator: unexpected argument %q", fs.Arg(0))
	}
	lvl, err := zerolog.ParseLevel(*logLevel)
	if err != nil || lvl == zerolog.NoLevel {
		return fmt.Errorf("simulator: -log-level %q: want trace, debug, info, warn, error or disabled", *logLevel)
	}
	var cfg ismgsim.Config
	if *path != "" {
		if cfg, err = ismgsim.LoadConfig(*path); err != nil {
			return err
		}
	} else {
		cfg = ismgsim.Config{
			Addr:      "127.0.0.1:7890",
			AdminAddr: "127.0.0.1:7891",
			Accounts:  []ismgsim.Account{{SPID: "900001", Secret: "888888"}},
		}
	}
	// Without a level zerolog logs everything: a debug line per PDU cost
	// the simulator more than answering it.
	cfg.Logger = zerolog.New(stderr).Level(lvl).With().Timestamp().Logger()
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	return ismgsim.Run(ctx, cfg, *admin)
}
