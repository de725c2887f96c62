package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

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
func serveCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (default ./config.yaml, else the embedded defaults)")
	if err := fs.Parse(args); err != nil {
		return err
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
	return gw.Run(ctx)
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
