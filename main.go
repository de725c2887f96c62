// Command smsbridge is an SMS gateway for CMPP 2.0/3.0: an HTTP API in
// front of a Redis queue and a pool of CMPP links, with an ISMG simulator.
//
//	smsbridge [serve] [-config config.yaml | -demo]   run the gateway (default)
//	smsbridge simulator [-config sim.yaml]    run the ISMG simulator
//	smsbridge hash-key <api-key>              print the key_sha256 for a tenant
//	smsbridge bench [flags]                   end-to-end load test through the HTTP API
//	smsbridge bench-link [flags]              one CMPP link against the simulator in its own process
//	smsbridge bench-cmpp [flags]              customer CMPP links into smsbridge's CMPP server
//	smsbridge healthcheck [-url URL]          exit 0 if GET URL answers 200
//	smsbridge version                         print the version
//	smsbridge help [command]                  list the commands, or one command's flags
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand of smsbridge.
type command struct {
	// name is the word selecting it.
	name string
	// synopsis is its argument summary, summary its one-line description;
	// both go into the usage text.
	synopsis, summary string
	// run runs it. Asked for help (-h), it prints its usage to stdout and
	// returns flag.ErrHelp.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every subcommand, in the order the usage shows them (a
// function, not a variable: the commands refer back to the list).
func commands() []command {
	return []command{
		{"serve", "[-config config.yaml | -demo]", "run the gateway (default command; -demo: demo mode)", serveCommand},
		{"simulator", "[-config sim.yaml]", "run the ISMG simulator (CMPP server + admin API)", simulatorCommand},
		{"hash-key", "<api-key>", "print the key_sha256 value for a tenant", hashKeyCommand},
		{"healthcheck", "[-url URL]", "exit 0 if GET URL (default /healthz on 127.0.0.1:8080) answers 200", healthcheckCommand},
		{"bench", "[-rate N] [-spawn] …", "load-test a service end to end through its HTTP API", benchCommand},
		{"bench-link", "[-duration 10s] …", "submits/s of one CMPP link against the simulator run as its own process", benchLinkCommand},
		{"bench-cmpp", "[-spawn] [-window 16] …", "SUBMITs/s of customer CMPP links into smsbridge's CMPP server (stored, SUBMIT_RESP sent)", benchCMPPCommand},
		{"version", "", "print the version", versionCommand},
		{"help", "[command]", "list the commands, or print one command's flags", helpCommand},
	}
}

// run dispatches a subcommand and returns the process exit code: 0 on
// success and when help was asked for, 1 when the command failed, 2 for
// an unknown command.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	name := "serve"
	if len(args) > 0 {
		switch a := args[0]; {
		case isHelpFlag(a):
			name, args = "help", args[1:]
		case a != "" && a[0] != '-':
			name, args = a, args[1:]
		}
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "smsbridge: unknown command %q\n", name)
		writeUsage(stderr)
		return 2
	}
	switch err := cmd.run(ctx, args, stdout, stderr); {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(stderr, "smsbridge: %v\n", err)
		return 1
	}
}

// helpCommand prints the list of commands, or with a command name that
// command's usage and flags.
func helpCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		writeUsage(stdout)
		return nil
	case len(args) > 1:
		return errors.New("usage: smsbridge help [command]")
	}
	cmd, ok := lookup(args[0])
	switch {
	case isHelpFlag(args[0]):
		writeUsage(stdout)
		return nil
	case !ok:
		return fmt.Errorf("help: unknown command %q", args[0])
	case cmd.name == "help":
		writeUsage(stdout)
		return nil
	}
	return cmd.run(ctx, []string{"-h"}, stdout, stderr)
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// isHelpFlag reports whether a is one of the spellings of "help".
func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// writeUsage lists every command with one line each.
func writeUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: smsbridge <command> [flags]   (smsbridge <command> -h lists its flags)")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %-24s %s\n", c.name, c.synopsis, c.summary)
	}
}

// newFlagSet returns a flag set for a subcommand whose usage line is
// "usage: smsbridge <name> <synopsis>" followed by the flags.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		synopsis := ""
		if c, ok := lookup(name); ok {
			synopsis = c.synopsis
		}
		fmt.Fprintf(fs.Output(), "usage: smsbridge %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. Help that was asked for (-h) goes to
// stdout and returns flag.ErrHelp (exit 0); a bad flag prints the error
// and the usage to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var buf bytesWriter
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	out := stderr
	if errors.Is(err, flag.ErrHelp) {
		out = stdout
	}
	_, _ = out.Write(buf)
	return err
}

// bytesWriter collects what a flag set prints while parsing.
type bytesWriter []byte

func (b *bytesWriter) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

// versionCommand prints the version.
func versionCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: smsbridge version")
	}
	_, err := fmt.Fprintf(stdout, "smsbridge %s\n", version)
	return err
}
