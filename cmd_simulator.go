package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
)

// simulatorCommand runs the ISMG simulator until ctx is cancelled.
func simulatorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("simulator")
	path := fs.String("config", "", "simulator YAML file (see cmpp/ismgsim/testdata/simulator.yaml); empty = defaults on 127.0.0.1:7890 with account 900001/888888")
	admin := fs.String("admin", "", "admin API listen address (overrides admin_addr)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("simulator: unexpected argument %q", fs.Arg(0))
	}
	var cfg ismgsim.Config
	if *path != "" {
		var err error
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
	cfg.Logger = zerolog.New(os.Stderr).With().Timestamp().Logger()
	return ismgsim.Run(ctx, cfg, *admin)
}
