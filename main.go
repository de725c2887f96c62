// Command smsbridge is an SMS gateway for CMPP 2.0/3.0: an HTTP API in
// front of a Redis queue and a pool of CMPP links, with an ISMG simulator.
//
//	smsbridge [serve] [-config config.yaml]   run the gateway (default)
//	smsbridge simulator [-config sim.yaml]    run the ISMG simulator
//	smsbridge hash-key <api-key>              print the key_sha256 for a tenant
//	smsbridge bench [flags]                   end-to-end load test through the HTTP API
//	smsbridge bench-link [flags]              one CMPP link against the simulator in its own process
//	smsbridge healthcheck [-url URL]          exit 0 if GET URL answers 200
//	smsbridge version                         print the version
package main

import (
	"context"
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

// run dispatches a subcommand and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serveCommand(ctx, args, stderr)
	case "simulator":
		err = simulatorCommand(ctx, args, stderr)
	case "hash-key":
		err = hashKeyCommand(args, stdout)
	case "healthcheck":
		err = healthcheckCommand(ctx, args, stderr)
	case "bench":
		err = benchCommand(ctx, args, stdout, stderr)
	case "bench-link":
		err = benchLinkCommand(ctx, args, stdout, stderr)
	case "version":
		_, err = fmt.Fprintf(stdout, "smsbridge %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
	default:
		fmt.Fprintf(stderr, "smsbridge: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "smsbridge: %v\n", err)
		return 1
	}
	return 0
}

const usage = `usage:
  smsbridge [serve] [-config config.yaml]   run the gateway (default command)
  smsbridge simulator [-config sim.yaml]    run the ISMG simulator (CMPP server + admin API)
  smsbridge hash-key <api-key>              print the key_sha256 value for a tenant
  smsbridge healthcheck [-url URL]          exit 0 if GET URL (default /healthz on 127.0.0.1:8080) answers 200
  smsbridge bench [-rate N] [-spawn] …      load-test a service end to end through its HTTP API (-h for flags)
  smsbridge bench-link [-duration 10s] …    submits/s of one CMPP link against the simulator run as its own process
  smsbridge version                         print the version`
