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
)

// defaultConfig is the shipped config.yaml, used when no file is given and
// ./config.yaml does not exist: demo mode on loopback.
//
//go:embed config.yaml
var defaultConfig []byte

// serveCommand runs the gateway until ctx is cancelled (SIGTERM/SIGINT),
// then drains and returns nil.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve")
	path := fs.String("config", "", "configuration file (default ./config.yaml, else the embedded defaults)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (runtime/pprof) to this file from start until shutdown (used by smsbridge bench -spawn)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.Log.Level)
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

// loadConfig reads path, or ./config.yaml, or the embedded defaults, and
// applies SMSBRIDGE_* overrides.
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	if _, err := os.Stat("config.yaml"); err == nil {
		return config.Load("config.yaml")
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("config: %w", err)
	}
	return config.Parse(defaultConfig, os.Environ())
}

func newLogger(w io.Writer, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}
