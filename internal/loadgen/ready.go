package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// readyPoll is the interval between two GET /readyz.
const readyPoll = 50 * time.Millisecond

// WaitReady polls GET baseURL/readyz until it answers 200, ctx is done or
// timeout passes.
func WaitReady(ctx context.Context, baseURL string, timeout time.Duration) error {
	return waitReady(ctx, baseURL, timeout, nil)
}

// waitReady is WaitReady that also gives up when exited is closed (the
// service process died).
func waitReady(ctx context.Context, baseURL string, timeout time.Duration, exited <-chan struct{}) error {
	return waitOK(ctx, baseURL, "/readyz", timeout, exited)
}

// waitOK polls GET baseURL+path until it answers 200, ctx is done,
// timeout passes or exited is closed.
func waitOK(ctx context.Context, baseURL, path string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s%s not ready after %v: %s", baseURL, path, timeout, last)
		case <-exited:
			return fmt.Errorf("%s: the service exited before it was ready", baseURL)
		case <-tick.C:
		}
	}
}
