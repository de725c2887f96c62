package backoff

import (
	"testing"
	"time"
)

func TestDelayBounds(t *testing.T) {
	for n := -1; n < 70; n++ {
		d := initialFor(n)
		for range 50 {
			got := Delay(100*time.Millisecond, 10*time.Second, n)
			if got < d/2 || got > d {
				t.Fatalf("n=%d: %s outside [%s, %s]", n, got, d/2, d)
			}
		}
	}
	if got := Delay(0, time.Second, 3); got != 0 {
		t.Fatalf("zero initial: %s", got)
	}
	if got := Delay(time.Second, time.Millisecond, 5); got < 500*time.Millisecond || got > time.Second {
		t.Fatalf("max below initial: %s", got)
	}
}

// initialFor is the un-jittered delay the test expects after n failures.
func initialFor(n int) time.Duration {
	d := 100 * time.Millisecond
	for i := 0; i < n && d < 10*time.Second; i++ {
		d *= 2
	}
	return min(d, 10*time.Second)
}
