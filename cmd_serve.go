package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/gateway"
	"github.com/smsbridge/smsbridge/internal/logsink"
)

// demoOverlay is demo.yaml: what demo mode changes on top of the
// production defaults (config.Defaults). It is the configuration of
// `serve -demo`, and of `serve` when no file is given and ./config.yaml
// does not exist: demo mode on loopback.
//
//go:embed demo.yaml
var demoOverlay []byte

// serveCommand runs the gateway until ctx is cancelled (SIGTERM/SIGINT),
// then drains and returns nil.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve")
	path := fs.String("config", "", "configuration file (default ./config.yaml, else demo mode: the defaults with the embedded demo.yaml)")
	demo := fs.Bool("demo", false, "demo mode: the defaults with the embedded demo.yaml (embedded store and simulator, demo tenant), ignoring ./config.yaml")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (runtime/pprof) to this file from start until shutdown (used by smsbridge bench -spawn)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if *demo && *path != "" {
		return errors.New("serve: -demo and -config exclude each other (demo mode is the defaults with demo.yaml)")
	}
	var cfg *config.Config
	var err error
	if *demo {
		cfg, err = config.Parse(demoOverlay, os.Environ())
	} else {
		cfg, err = loadConfig(*path)
	}
	if err != nil {
		return err
	}
	// Lines are written in batches (a warn or error line at once): one
	// write system call per request line would be a large part of the
	// service's cost per message.
	sink := logsink.NewBuffered(stderr)
	defer func() { _ = sink.Close() }()
	log := newLogger(sink, cfg.Log.Level)
	gw, err := gateway.New(cfg, log, gateway.Options{Version: version})
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	return gw.Run(ctx)
}

// startCPUProfile writes a CPU profile to path until the returned function
// is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// loadConfig reads path, or ./config.yaml, or else the embedded demo
// overlay (demo mode), on top of the defaults, and applies SMSBRIDGE_*
// overrides.
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	if _, err := os.Stat("config.yaml"); err == nil {
		return config.Load("config.yaml")
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("config: %w", err)
	}
	return config.Parse(demoOverlay, os.Environ())
}

func newLogger(w io.Writer, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}
