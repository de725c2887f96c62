package tests

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/gateway"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// The CMPP account of the tenant acme in cmppConfig.
const (
	cmppAccount     = "920001"
	cmppSecret      = "e2e-cmpp-secret"
	cmppServiceCode = "1069001"
)

// cmppConfig is a gateway configuration with the CMPP server on
// (cmpp_server.addr 127.0.0.1:0) and one tenant, acme, with CMPP access
// (account cmppAccount), as YAML so the real loader runs.
type cmppConfig struct {
	RedisAddr, Prefix, SimAddr string
	// AdminKey enables the admin API when set.
	AdminKey string
	// MaxLinks, MaxSubmitsPerSec, AllowedIPs and Version are the
	// account's (0 / empty: the defaults).
	MaxLinks, MaxSubmitsPerSec int
	AllowedIPs                 []string
	Version                    string
	// ResendAfter and ResendMax are cmpp_server.report_resend_after and
	// report_resend_max (default 1s and 1: a dead replica's leased reports
	// come back after 1s×2+5s).
	ResendAfter string
	ResendMax   int
	// LinkLease is cmpp_server.link_lease (default 3s).
	LinkLease string
	// LoginFailures is cmpp_server.login_failures (default 1000: the
	// tests log in from 127.0.0.1 many times and fail on purpose).
	LoginFailures int
	// LeaseTTL is queue.lease_ttl (default 2s: a killed replica's
	// upstream jobs come back soon).
	LeaseTTL string
}

func (c cmppConfig) yaml() []byte {
	if c.ResendAfter == "" {
		c.ResendAfter = "1s"
	}
	if c.ResendMax == 0 {
		c.ResendMax = 1
	}
	if c.LinkLease == "" {
		c.LinkLease = "3s"
	}
	if c.LoginFailures == 0 {
		c.LoginFailures = 1000
	}
	if c.LeaseTTL == "" {
		c.LeaseTTL = "2s"
	}
	if c.Version == "" {
		c.Version = "3.0"
	}
	sum := sha256.Sum256([]byte(apiKey))
	ips, _ := json.Marshal(c.AllowedIPs) // a JSON list is a YAML flow list
	if c.AllowedIPs == nil {
		ips = []byte("[]")
	}
	maxLinks := ""
	if c.MaxLinks != 0 {
		maxLinks = "max_links: " + itoa(c.MaxLinks) + ", "
	}
	return []byte(`
http: {addr: "127.0.0.1:0", admin_key: ` + q(c.AdminKey) + `}
redis: {addr: ` + q(c.RedisAddr) + `, prefix: ` + q(c.Prefix) + `, timeout: 3s}
log: {level: warn}
shutdown_timeout: 10s
cmpp_server: {addr: "127.0.0.1:0", gateway_id: 7, window: 16, report_resend_after: ` + c.ResendAfter +
		`, report_resend_max: ` + itoa(c.ResendMax) + `, link_lease: ` + c.LinkLease + `, report_poll: 200ms,
  login_failures: ` + itoa(c.LoginFailures) + `, login_failure_window: 1m}
channels:
  - {name: default, addr: ` + q(c.SimAddr) + `, version: "3.0", sp_id: ` + q(spID) + `, secret: ` + q(spSecret) +
		`, src_id: ` + q(srcID) + `, service_id: TEST, links: 2, window: 16, response_timeout: 5s}
tenants:
  - {name: acme, key_sha256: ` + hex.EncodeToString(sum[:]) + `, webhook_secret: ` + q(webhookSecret) + `,
     channels: [default], default: true,
     cmpp: {account: ` + q(cmppAccount) + `, secret: ` + q(cmppSecret) + `, ` + maxLinks +
		`max_submits_per_sec: ` + itoa(c.MaxSubmitsPerSec) + `, allowed_ips: ` + string(ips) +
		`, version: ` + q(c.Version) + `, service_code: ` + q(cmppServiceCode) + `}}
queue: {lease_ttl: ` + c.LeaseTTL + `, max_recoveries: 5}
`)
}

// parse loads c through the real loader.
func (c cmppConfig) parse(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(c.yaml(), nil)
	if err != nil {
		t.Fatalf("config with cmpp_server: %v", err)
	}
	return cfg
}

// q quotes s for the YAML templates.
func q(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a YAML double-quoted scalar
	return string(b)
}

// itoa formats n for the YAML templates.
func itoa(n int) string { return strconv.Itoa(n) }

// cmppListenLine reports whether a log line announces the CMPP server's
// listening address (the gateway logs it with "addr" at info level).
func cmppListenLine(msg, addr string) bool {
	m := strings.ToLower(msg)
	return addr != "" && strings.Contains(m, "cmpp") && strings.Contains(m, "listen")
}

// cmppProc is a smsbridge process with the CMPP server on.
type cmppProc struct {
	*process
	// cmpp is the CMPP server's address.
	cmpp string
}

// startCMPPProcess runs the binary with c and waits until both the HTTP
// API and the CMPP server listen.
func startCMPPProcess(t *testing.T, c cmppConfig) *cmppProc {
	t.Helper()
	bin := binary(t)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, c.yaml(), 0o600); err != nil {
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
	p := &cmppProc{process: &process{cmd: cmd, done: make(chan struct{})}}
	httpCh, cmppCh := make(chan string, 1), make(chan string, 1)
	var logMu sync.Mutex
	logDone := false
	t.Cleanup(func() { logMu.Lock(); logDone = true; logMu.Unlock() })
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			var line struct{ Message, Addr, Level string }
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			switch {
			case line.Message == "smsbridge listening":
				select {
				case httpCh <- line.Addr:
				default:
				}
			case cmppListenLine(line.Message, line.Addr):
				select {
				case cmppCh <- line.Addr:
				default:
				}
			}
			if line.Level == "error" || line.Level == "fatal" {
				logMu.Lock()
				if !logDone {
					t.Logf("smsbridge[%d]: %s", cmd.Process.Pid, sc.Text())
				}
				logMu.Unlock()
			}
		}
	}()
	go func() { <-scanned; _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	timeout := time.After(30 * time.Second)
	for p.addr == "" || p.cmpp == "" {
		select {
		case p.addr = <-httpCh:
		case p.cmpp = <-cmppCh:
		case <-p.done:
			t.Fatal("smsbridge exited before listening (HTTP and CMPP)")
		case <-timeout:
			t.Fatalf("smsbridge did not announce both listeners within 30s (http %q, cmpp %q)", p.addr, p.cmpp)
		}
	}
	return p
}

// cmppGW is an in-process gateway with the CMPP server on (covered by
// -race).
type cmppGW struct {
	gw   *gateway.Gateway
	http string // base URL of the HTTP API
	cmpp string // CMPP server address
}

// runCMPPGateway runs a gateway on c in-process until the test ends.
func runCMPPGateway(t *testing.T, c cmppConfig) *cmppGW {
	t.Helper()
	cfg := c.parse(t)
	tl := &testLog{t: t}
	gw, err := gateway.New(cfg, zerolog.New(tl).Level(zerolog.WarnLevel), gateway.Options{Version: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; tl.stop() })
	g := &cmppGW{gw: gw, http: "http://" + gw.Addr(), cmpp: gw.CMPPAddr()}
	if g.cmpp == "" {
		t.Fatal("the gateway has no CMPP server although cmpp_server.addr is set")
	}
	return g
}

// testLog is the in-process gateway's log writer: it passes errors to
// the test log until the test ends.
type testLog struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (s *testLog) Write(p []byte) (int, error) {
	var line struct{ Level string }
	if json.Unmarshal(p, &line) == nil && (line.Level == "error" || line.Level == "fatal") {
		s.mu.Lock()
		if !s.done {
			s.t.Logf("gateway: %s", strings.TrimSpace(string(p)))
		}
		s.mu.Unlock()
	}
	return len(p), nil
}

// stop ends the test logging (the test is over).
func (s *testLog) stop() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

// newCMPPStore is a store on env with c's options (to read queue depths
// and the account's DELIVER queue).
func newCMPPStore(t *testing.T, env *testenv.RedisEnv, c cmppConfig) *store.Store {
	t.Helper()
	return store.New(env.Client, c.parse(t).StoreOptions())
}
