package loadgen

import (
	"crypto/sha256"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Host describes the machine the tool ran on: figures from a loaded
// machine are not comparable with figures from an idle one.
type Host struct {
	// CPUs is runtime.NumCPU().
	CPUs int `json:"cpus"`
	// CPUModel is the first "model name" of /proc/cpuinfo ("" if unknown).
	CPUModel string `json:"cpu_model"`
	// GoVersion is the Go version the tool was built with.
	GoVersion string `json:"go_version"`
	// LoadAvgStart and LoadAvgEnd are the 1-minute load averages at the
	// start and end of the window (-1 if unknown).
	LoadAvgStart float64 `json:"loadavg_start"`
	LoadAvgEnd   float64 `json:"loadavg_end"`
	// SpeedStart and SpeedEnd are single-core SHA-256 throughput in MB/s,
	// measured just before and just after the window: a virtual machine
	// whose host is busy can run at half its usual speed without any sign
	// in its load average, so compare runs only at similar speeds.
	SpeedStart float64 `json:"cpu_speed_mbps_start"`
	SpeedEnd   float64 `json:"cpu_speed_mbps_end"`
	// StealPercent is the share of the CPUs' time taken by the hypervisor
	// over the window, from /proc/stat (-1 if unknown).
	StealPercent float64 `json:"steal_percent"`
}

// hostInfo reads what it can about the machine.
func hostInfo() Host {
	h := Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadAvgStart: loadAvg1(), SpeedStart: cpuSpeed()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return h
}

// loadAvg1 is the 1-minute load average from /proc/loadavg, -1 if unknown.
func loadAvg1() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// speedProbeBytes is how much cpuSpeed hashes: tens of milliseconds.
const speedProbeBytes = 16 << 20

// cpuSpeed hashes speedProbeBytes with SHA-256 on one goroutine and
// returns the throughput in MB/s.
func cpuSpeed() float64 {
	buf := make([]byte, 64<<10)
	h := sha256.New()
	start := time.Now()
	for n := 0; n < speedProbeBytes; n += len(buf) {
		h.Write(buf)
	}
	h.Sum(nil)
	return speedProbeBytes / 1e6 / time.Since(start).Seconds()
}

// cpuTimes is the aggregate "cpu" line of /proc/stat: total and steal
// jiffies.
type cpuTimes struct{ total, steal uint64 }

// readCPUTimes reads /proc/stat; ok is false when it cannot.
func readCPUTimes() (cpuTimes, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}, false
	}
	var t cpuTimes
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cpuTimes{}, false
		}
		if i >= 8 { // guest and guest_nice are already counted in user and nice
			break
		}
		t.total += n
		if i == 7 {
			t.steal = n
		}
	}
	return t, true
}

// stealPercent is the steal share between two readings, -1 if unknown.
func stealPercent(a, b cpuTimes, okA, okB bool) float64 {
	if !okA || !okB || b.total <= a.total {
		return -1
	}
	return 100 * float64(b.steal-a.steal) / float64(b.total-a.total)
}
