package tests

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the smsbridge command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "smsbridge-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "smsbridge")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/smsbridge/smsbridge").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is a running smsbridge binary.
type process struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startProcess runs the binary with cfg and waits until it listens.
func startProcess(t *testing.T, cfg gwConfig) *process {
	t.Helper()
	bin := binary(t)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, cfg.yaml(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-config", path)
	cmd.Env = append(os.Environ(), "SMSBRIDGE_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			var line struct{ Message, Addr, Level string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "smsbridge listening" {
				addrCh <- line.Addr
			}
			if line.Level == "error" || line.Level == "fatal" {
				t.Logf("smsbridge[%d]: %s", cmd.Process.Pid, sc.Text())
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	select {
	case p.addr = <-addrCh:
	case <-p.done:
		t.Fatal("smsbridge exited before listening")
	case <-time.After(30 * time.Second):
		t.Fatal("smsbridge did not start listening within 30s")
	}
	return p
}

func (p *process) url() string { return "http://" + p.addr }

// kill sends SIGKILL and waits for the process to be gone.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// terminate sends SIGTERM and returns the exit code.
func (p *process) terminate(t *testing.T) int {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}
