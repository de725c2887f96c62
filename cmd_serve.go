package main

import (
	"context"
	"errors"
	"io"
)

// serveCommand runs the gateway. The service (HTTP API, Redis queue,
// sender, webhooks) is being built under issue #3.
func serveCommand(ctx context.Context, args []string, stderr io.Writer) error {
	return errors.New("serve: the gateway service is not built yet; run `smsbridge simulator`")
}
