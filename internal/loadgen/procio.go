package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// IOCounts are the system-call counters of /proc/<pid>/io (Linux): read-
// and write-class calls (read, recvfrom, … / write, sendto, …) the process
// has made since it started, all threads included.
type IOCounts struct {
	// Reads is syscr.
	Reads uint64 `json:"syscr"`
	// Writes is syscw.
	Writes uint64 `json:"syscw"`
}

// Sub returns c − o.
func (c IOCounts) Sub(o IOCounts) IOCounts {
	return IOCounts{Reads: c.Reads - o.Reads, Writes: c.Writes - o.Writes}
}

// ProcIO reads /proc/<pid>/io; pid 0 means this process.
func ProcIO(pid int) (IOCounts, error) {
	path := "/proc/self/io"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/io"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return IOCounts{}, err
	}
	c, err := parseProcIO(data)
	if err != nil {
		return IOCounts{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// parseProcIO reads the syscr and syscw lines of a /proc/<pid>/io text.
func parseProcIO(data []byte) (IOCounts, error) {
	var c IOCounts
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(k) {
		case "syscr":
			dst = &c.Reads
		case "syscw":
			dst = &c.Writes
		default:
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil {
			return IOCounts{}, fmt.Errorf("%s: %w", k, err)
		}
		*dst = n
		found++
	}
	if found != 2 {
		return IOCounts{}, fmt.Errorf("no syscr/syscw lines")
	}
	return c, nil
}
