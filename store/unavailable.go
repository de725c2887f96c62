package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// unavailablePrefixes are the Redis error replies that mean the server
// could not serve the command now (it did not run it): failover, cluster
// reconfiguration, loading, memory or client limits, authentication
// problems. They are Redis failures, never bugs of the caller.
var unavailablePrefixes = []string{
	"CLUSTERDOWN", "LOADING", "MASTERDOWN", "READONLY", "TRYAGAIN",
	"NOREPLICAS", "BUSY", "OOM", "MOVED", "ASK", "NOAUTH", "WRONGPASS",
	"NOPERM", "ERR max number of clients reached",
}

// Unavailable reports whether err means Redis could not do the work — it
// was unreachable, slow, closed, restarting or failing over — rather than
// a bug (a script error, a malformed reply, an invalid argument). The HTTP
// API answers the first kind 503 and the second 500. ErrOutcomeUnknown
// counts as unavailable; callers that must tell it apart test it first.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrOutcomeUnknown) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ETIMEDOUT) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range unavailablePrefixes {
			if strings.HasPrefix(msg, p+" ") || msg == p {
				return true
			}
		}
	}
	return false
}
