package loadgen

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestParseProcIO(t *testing.T) {
	text := "rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 7\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n"
	c, err := parseProcIO([]byte(text))
	if err != nil || c != (IOCounts{Reads: 10, Writes: 7}) {
		t.Fatalf("parseProcIO = %+v, %v; want {10 7}", c, err)
	}
	for _, bad := range []string{"", "syscr: 1\n", "syscr: x\nsyscw: 1\n"} {
		if _, err := parseProcIO([]byte(bad)); err == nil {
			t.Errorf("parseProcIO(%q) succeeded", bad)
		}
	}
	self, err := ProcIO(0)
	if err != nil || self.Reads == 0 {
		t.Fatalf("ProcIO(self) = %+v, %v", self, err)
	}
}

// TestRunLinkBench runs the cross-process link benchmark briefly with the
// real binary: the simulator child answers every SUBMIT and report, and
// every figure of both processes is read.
func TestRunLinkBench(t *testing.T) {
	bin := buildBinary(t)
	rep, err := RunLinkBench(context.Background(), LinkBenchConfig{
		Binary: bin, Duration: 500 * time.Millisecond, Warmup: -1, Workers: 8, Reports: true,
		ReportDelay: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Submits == 0 || rep.Failed != 0 || rep.Reports == 0 || rep.SubmitsPerSec <= 0 {
		t.Fatalf("submits %d, failed %d (%s), reports %d, rate %.0f", rep.Submits, rep.Failed, rep.FirstError, rep.Reports, rep.SubmitsPerSec)
	}
	if rep.Latency.Count == 0 || rep.FramesPerWrite < 1 {
		t.Errorf("latency samples %d, frames per write %.2f", rep.Latency.Count, rep.FramesPerWrite)
	}
	for name, p := range map[string]ProcessFigures{"client": rep.Client, "simulator": rep.Simulator} {
		if p.Error != "" || p.Syscalls.Writes == 0 || p.Syscalls.Reads == 0 || p.WritesPerSubmit <= 0 {
			t.Errorf("%s figures: %+v", name, p)
		}
	}
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil || !bytes.Contains(out.Bytes(), []byte("submits/s")) {
		t.Fatalf("WriteTable: %v\n%s", err, out.String())
	}
}
