package webhook

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestHostLimiter(t *testing.T) {
	l := newHostLimiter(2, 1)
	ctx := context.Background()
	for range 2 {
		if err := l.acquire(ctx, "slow"); err != nil {
			t.Fatalf("acquire within limit: %v", err)
		}
	}
	waited := make(chan error, 1)
	go func() { waited <- l.acquire(ctx, "slow") }()
	// The waiter must be registered before the next acquire is refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		w := l.hosts["slow"].waiting
		l.mu.Unlock()
		if w == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("waiter never registered")
		}
		select {
		case err := <-waited:
			t.Fatalf("third acquire did not wait: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	if err := l.acquire(ctx, "slow"); !errors.Is(err, errHostBusy) {
		t.Fatalf("acquire beyond limit+maxWait: %v, want errHostBusy", err)
	}
	// Another host is not affected.
	if err := l.acquire(ctx, "fast"); err != nil {
		t.Fatalf("other host: %v", err)
	}
	l.release("fast")
	l.release("slow")
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("waiter: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not woken by release")
	}
	// A cancelled waiter leaves no trace.
	cctx, cancel := context.WithCancel(ctx)
	go func() { waited <- l.acquire(cctx, "slow") }()
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	l.release("slow")
	l.release("slow")
	if n := l.inUse(); n != 0 {
		t.Fatalf("hosts still tracked after every release: %d", n)
	}
}
