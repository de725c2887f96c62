package webhook

import (
	"testing"
	"time"
)

func TestRetryDelayBounds(t *testing.T) {
	const initial, max = time.Second, 10 * time.Minute
	for attempts := 0; attempts <= 100; attempts++ {
		d := initial
		if attempts > 1 {
			d = initial << min(attempts-1, 20)
		}
		d = min(d, max)
		for range 50 {
			got := retryDelay(initial, max, attempts)
			if got < d/2 || got > d {
				t.Fatalf("attempts %d: delay %v outside [%v, %v]", attempts, got, d/2, d)
			}
		}
	}
}

func TestRetryDelayDoublesUntilCap(t *testing.T) {
	// The floor d/2 doubles with each attempt, until the cap.
	want := []time.Duration{50, 100, 200, 400, 500, 500}
	for i, w := range want {
		w *= time.Millisecond
		got := retryDelay(50*time.Millisecond, 500*time.Millisecond, i+1)
		if got < w/2 || got > w {
			t.Errorf("attempt %d: %v not in [%v, %v]", i+1, got, w/2, w)
		}
	}
}

func TestRetryDelayBadConfig(t *testing.T) {
	if d := retryDelay(0, 0, 3); d < DefaultInitialBackoff/2 || d > DefaultInitialBackoff {
		t.Fatalf("zero config: %v", d)
	}
}
