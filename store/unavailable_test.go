package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// replyErr is a Redis error reply as go-redis returns it (a type with a
// RedisError method).
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}

// wrap wraps err the way store methods do.
func wrap(err error) error { return fmt.Errorf("store: op: %w", err) }

func TestUnavailableClassifier(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"read timeout", wrap(timeout), true},
		{"context deadline", wrap(context.DeadlineExceeded), true},
		{"context canceled", wrap(context.Canceled), true},
		{"EOF", wrap(io.EOF), true},
		{"unexpected EOF", wrap(io.ErrUnexpectedEOF), true},
		{"connection refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), true},
		{"connection reset", wrap(os.NewSyscallError("read", syscall.ECONNRESET)), true},
		{"broken pipe", wrap(syscall.EPIPE), true},
		{"pool timeout", wrap(redis.ErrPoolTimeout), true},
		{"pool exhausted", wrap(redis.ErrPoolExhausted), true},
		{"client closed", wrap(redis.ErrClosed), true},
		{"CLUSTERDOWN", wrap(replyErr("CLUSTERDOWN The cluster is down")), true},
		{"LOADING", wrap(replyErr("LOADING Redis is loading the dataset in memory")), true},
		{"MASTERDOWN", wrap(replyErr("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")), true},
		{"READONLY", wrap(replyErr("READONLY You can't write against a read only replica.")), true},
		{"TRYAGAIN", wrap(replyErr("TRYAGAIN Multiple keys request during rehashing of slot")), true},
		{"NOREPLICAS", wrap(replyErr("NOREPLICAS Not enough good replicas to write.")), true},
		{"BUSY", wrap(replyErr("BUSY Redis is busy running a script.")), true},
		{"OOM", wrap(replyErr("OOM command not allowed when used memory > 'maxmemory'.")), true},
		{"MOVED", wrap(replyErr("MOVED 3999 127.0.0.1:6381")), true},
		{"NOAUTH", wrap(replyErr("NOAUTH Authentication required.")), true},
		{"max clients", wrap(replyErr("ERR max number of clients reached")), true},
		{"ErrUnavailable", fmt.Errorf("%w: deadline passed", ErrUnavailable), true},
		{"ErrOutcomeUnknown", fmt.Errorf("%w: x", ErrOutcomeUnknown), true},
		{"script error", wrap(replyErr("ERR user_script:1: Script attempted to access nonexistent global variable 'x'")), false},
		{"CROSSSLOT", wrap(redis.ErrCrossSlot), false},
		{"BUSYKEY", wrap(replyErr("BUSYKEY Target key name already exists.")), false},
		{"WRONGTYPE", wrap(replyErr("WRONGTYPE Operation against a key holding the wrong kind of value")), false},
		{"bad reply", fmt.Errorf("%w: x", ErrBadReply), false},
		{"invalid", fmt.Errorf("%w: x", ErrInvalid), false},
		{"not found", fmt.Errorf("%w: x", ErrNotFound), false},
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
	} {
		if got := Unavailable(c.err); got != c.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// The errors a real client returns: a refused dial, a timeout on a paused
// server, a closed client are unavailable; a script bug is not.
func TestUnavailableRealErrors(t *testing.T) {
	env, proc := testenv.OwnRedis(t)
	ctx := context.Background()

	bug := env.Client.Eval(ctx, "return redis.call('NOSUCHCOMMAND')", nil).Err()
	if bug == nil || Unavailable(wrap(bug)) {
		t.Fatalf("script error %v classified unavailable", bug)
	}

	c := redis.NewClient(&redis.Options{Addr: env.Addr, ReadTimeout: 50 * time.Millisecond, MaxRetries: -1})
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	proc.Pause(t)
	err := c.Get(ctx, env.Prefix+":k").Err()
	proc.Resume(t)
	if err == nil || !Unavailable(wrap(err)) {
		t.Fatalf("timeout %v not classified unavailable", err)
	}
	_ = c.Close()
	if err := c.Get(ctx, env.Prefix+":k").Err(); !Unavailable(wrap(err)) {
		t.Fatalf("closed client %v not classified unavailable", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	refused := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer refused.Close()
	if err := refused.Get(ctx, "k").Err(); err == nil || !Unavailable(wrap(err)) {
		t.Fatalf("refused dial %v not classified unavailable", err)
	}
}
