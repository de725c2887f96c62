package tests

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// The README's promise, checked with the real binary in the repository
// root (what `go run . -demo` builds and runs) in demo mode — the
// defaults with the embedded demo.yaml, ./config.yaml ignored: the
// quick-start curl gets a 202, the request becomes delivered, and the demo
// receiver holds a validly signed sms.status webhook for it. The commands
// are read from README.md, so the README cannot drift from the product.
// Only the ports are changed, to free ones.
func TestReadmeQuickStart(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed; the README's commands use it")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sendCmd := codeBlockAfter(t, string(readme), "<!-- quickstart-curl -->")
	checkCmd := codeBlockAfter(t, string(readme), "<!-- quickstart-check -->")

	demo := startDemo(t)
	apiAddr, hookAddr, cmd, exited := demo.apiAddr, demo.hookAddr, demo.cmd, demo.exited

	ports := strings.NewReplacer("127.0.0.1:8080", apiAddr, "127.0.0.1:8081", hookAddr)
	out, err := exec.Command("bash", "-c", ports.Replace(sendCmd)).Output()
	if err != nil {
		t.Fatalf("README curl: %v", err)
	}
	var acc accepted
	if err := json.Unmarshal(out, &acc); err != nil || acc.Status != "queued" || acc.TotalSegments != 2 {
		t.Fatalf("README curl answered %s (%v); the README shows a queued 2-segment request", out, err)
	}

	check := ports.Replace(strings.ReplaceAll(checkCmd, "<id>", acc.ID))
	testenv.WaitFor(t, 20*time.Second, "delivered status and a signed webhook", func() bool {
		out, err := exec.Command("bash", "-c", check).Output()
		if err != nil {
			return false
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		var status struct{ Status string }
		var hooks []struct {
			SignatureValid bool `json:"signature_valid"`
			Event          struct {
				Type string
				Data struct {
					RequestID string `json:"request_id"`
					Status    string
				}
			}
		}
		if dec.Decode(&status) != nil || dec.Decode(&hooks) != nil || status.Status != "delivered" {
			return false
		}
		for _, h := range hooks {
			if h.SignatureValid && h.Event.Type == "sms.status" && h.Event.Data.RequestID == acc.ID && h.Event.Data.Status == "delivered" {
				return true
			}
		}
		return false
	})
	select {
	case <-demo.sawWarning:
	default:
		t.Error("demo mode did not warn that nothing is persisted")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30 s of SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

// codeBlockAfter returns the body of the first fenced code block after
// marker.
func codeBlockAfter(t *testing.T, doc, marker string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, marker)
	if !ok {
		t.Fatalf("README.md lacks %s", marker)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatalf("no sh code block after %s", marker)
	}
	body, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("unterminated code block after %s", marker)
	}
	return body
}

// freeAddr returns a loopback address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// demoProcess is the built binary running `-demo` on free ports.
type demoProcess struct {
	apiAddr, hookAddr string
	cmd               *exec.Cmd
	exited            chan struct{}
	sawWarning        chan struct{}
}

// startDemo runs the binary in demo mode from the repository root (where
// config.yaml, the production defaults, is) on free ports, with env added,
// until the test ends, and waits until it is ready.
func startDemo(t *testing.T, env ...string) *demoProcess {
	t.Helper()
	d := &demoProcess{apiAddr: freeAddr(t), hookAddr: freeAddr(t), exited: make(chan struct{}), sawWarning: make(chan struct{}, 1)}
	d.cmd = exec.Command(binary(t), "-demo")
	d.cmd.Dir = ".."
	d.cmd.Env = append(append(os.Environ(),
		"SMSBRIDGE_HTTP_ADDR="+d.apiAddr,
		"SMSBRIDGE_SIMULATOR_WEBHOOK_RECEIVER="+d.hookAddr,
		"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://"+d.hookAddr+"/webhook",
		// demo.yaml's CMPP server port (7890) would be shared by every
		// demo process of the suite.
		"SMSBRIDGE_CMPP_SERVER_ADDR="+freeAddr(t),
	), env...)
	stderr, _ := d.cmd.StderrPipe()
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "NOTHING IS PERSISTED") {
				select {
				case d.sawWarning <- struct{}{}:
				default:
				}
			}
		}
	}()
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() { _ = d.cmd.Process.Kill(); <-d.exited })
	testenv.WaitFor(t, 30*time.Second, "demo mode ready", func() bool {
		resp, err := http.Get("http://" + d.apiAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return d
}
