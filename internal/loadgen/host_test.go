package loadgen

import (
	"runtime"
	"testing"
)

func TestStealPercent(t *testing.T) {
	a := cpuTimes{total: 1000, steal: 10}
	b := cpuTimes{total: 1200, steal: 60}
	if got := stealPercent(a, b, true, true); got != 25 {
		t.Fatalf("steal %v%%, want 25%%", got)
	}
	for _, c := range []struct {
		a, b     cpuTimes
		okA, okB bool
	}{
		{a, b, false, true}, {a, b, true, false}, {b, a, true, true}, {a, a, true, true},
	} {
		if got := stealPercent(c.a, c.b, c.okA, c.okB); got != -1 {
			t.Errorf("stealPercent(%+v, %+v, %v, %v) = %v, want -1 (unknown)", c.a, c.b, c.okA, c.okB, got)
		}
	}
}

// On Linux the tool reads /proc/stat and measures a positive speed.
func TestHostFigures(t *testing.T) {
	if s := cpuSpeed(); s <= 0 {
		t.Fatalf("cpuSpeed %v MB/s", s)
	}
	if runtime.GOOS != "linux" {
		return
	}
	ct, ok := readCPUTimes()
	if !ok || ct.total == 0 || ct.steal > ct.total {
		t.Fatalf("readCPUTimes = %+v, %v", ct, ok)
	}
}
