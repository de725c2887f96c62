package loadgen

import (
	"os"
	"runtime"
	"strconv"
	"strings"
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
}

// hostInfo reads what it can about the machine.
func hostInfo() Host {
	h := Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadAvgStart: loadAvg1()}
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
