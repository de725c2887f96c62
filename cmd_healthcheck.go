package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/smsbridge/smsbridge/config"
)

// healthcheckTimeout bounds the whole probe (connect, request, response).
const healthcheckTimeout = 3 * time.Second

// healthcheckCommand probes a running gateway's GET /healthz and succeeds
// only on 200. It exists for container HEALTHCHECKs: the runtime image has
// no shell or curl, only this binary.
func healthcheckCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck")
	url := fs.String("url", defaultHealthURL(os.Getenv(config.EnvPrefix+"HTTP_ADDR")),
		"URL to GET; default /healthz on the port of $SMSBRIDGE_HTTP_ADDR, else http://127.0.0.1:8080/healthz")
	timeout := fs.Duration("timeout", healthcheckTimeout, "give up after this long")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: smsbridge healthcheck [-url http://127.0.0.1:8080/healthz] [-timeout 3s]")
	}
	return probe(ctx, *url, *timeout)
}

// probe GETs url within timeout and returns nil only for a 200 answer.
func probe(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}

// defaultHealthURL derives the probe URL from the listen address the
// gateway was given (SMSBRIDGE_HTTP_ADDR), so an image whose port was
// changed by environment still probes the right port. A wildcard host
// (0.0.0.0, ::, empty) is probed on loopback.
func defaultHealthURL(listenAddr string) string {
	const fallback = "http://127.0.0.1:8080/healthz"
	if listenAddr == "" {
		return fallback
	}
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil || port == "" {
		return fallback
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
