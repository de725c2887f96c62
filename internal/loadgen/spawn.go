package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/registry"
)

// SpawnConfig configures Spawn. Zero fields take the defaults listed with
// them.
type SpawnConfig struct {
	// Binary is the smsbridge executable run as `serve` and `simulator`.
	// Default os.Executable() (the running `smsbridge bench`).
	Binary string
	// RedisAddr is the real Redis the service uses (required). Every key
	// is under a fresh random prefix, deleted by Close.
	RedisAddr string
	// Links and Window of the channel. Defaults 4 and 16.
	Links  int
	Window int
	// ReportDelay of the simulator. Default 10 ms.
	ReportDelay time.Duration
	// SimFlushDelay is the simulator's flush_delay: how long it may hold
	// its report DELIVERs for more to share a socket write (responses are
	// never held). Default 0: written at once.
	SimFlushDelay time.Duration
	// WebhookPerHost is the service's webhook.per_host_concurrency
	// (every webhook goes to the tool's one receiver). Default 0: the
	// service default (32).
	WebhookPerHost int
	// WebhookBatch is the bench tenant's webhook_batch_max: above 1 the
	// service sends its webhooks as JSON arrays of up to that many events
	// per POST. Default 0: one event per POST.
	WebhookBatch int
	// CPUProfile, when set, is passed to `smsbridge serve -cpuprofile`:
	// the service writes a CPU profile there until it stops.
	CPUProfile string
	// LogLevel of the service. Default "warn".
	LogLevel string
	// ReadyTimeout bounds the wait for /readyz. Default 30 s.
	ReadyTimeout time.Duration
	// KeepDir keeps the directory of generated configs and child logs
	// (it is removed by Close otherwise).
	KeepDir bool
	// Hold points the channel at a loopback port nothing listens on, on
	// purpose, and starts no simulator: accepted segments stay queued in
	// Redis (what a queued segment costs in memory).
	Hold bool
}

// Spawned is a local service and simulator started by Spawn.
type Spawned struct {
	// URL is the service's API base URL.
	URL string
	// Key is the generated API key of the bench tenant.
	Key string
	// WebhookSecret is the bench tenant's generated webhook secret.
	WebhookSecret string
	// Prefix is the Redis key prefix of this run.
	Prefix string
	// Dir holds the generated configs and the children's logs.
	Dir string

	cfg      SpawnConfig
	sim, svc *child
	rdb      *redis.Client
}

// Fixed identities of the spawned channel.
const (
	spawnSPID  = "900001"
	spawnSrcID = "1065800001"
)

// Spawn starts `smsbridge simulator` and `smsbridge serve` as child
// processes with generated configurations (free loopback ports, no rate
// limit, a bench tenant with a generated key) and waits until the service
// is ready. Close stops them and deletes the run's Redis keys.
func Spawn(ctx context.Context, cfg SpawnConfig) (_ *Spawned, err error) {
	if cfg.RedisAddr == "" {
		return nil, errors.New("spawn: a Redis address is required")
	}
	if cfg.WebhookBatch < 0 || cfg.WebhookBatch > registry.MaxWebhookBatch {
		return nil, fmt.Errorf("spawn: webhook batch %d, want 0..%d", cfg.WebhookBatch, registry.MaxWebhookBatch)
	}
	if cfg.Binary == "" {
		if cfg.Binary, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("spawn: %w", err)
		}
	}
	setDefaultInt(&cfg.Links, 4)
	setDefaultInt(&cfg.Window, 16)
	if cfg.ReportDelay == 0 {
		cfg.ReportDelay = 10 * time.Millisecond
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	s := &Spawned{cfg: cfg, Key: "bk-" + randomHex(16), WebhookSecret: randomHex(16), Prefix: "bench" + randomHex(5)}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	s.rdb = redis.NewClient(&redis.Options{Addr: cfg.RedisAddr})
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = s.rdb.Ping(pingCtx).Err()
	cancel()
	if err != nil {
		return nil, fmt.Errorf("spawn: redis %s: %w", cfg.RedisAddr, err)
	}
	if s.Dir, err = os.MkdirTemp("", "smsbridge-bench-"); err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	simAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	httpAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	spSecret := randomHex(6)

	simPath := filepath.Join(s.Dir, "simulator.yaml")
	if err := os.WriteFile(simPath, s.simulatorYAML(simAddr, spSecret), 0o600); err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	svcPath := filepath.Join(s.Dir, "config.yaml")
	if err := os.WriteFile(svcPath, s.serviceYAML(httpAddr, simAddr, spSecret), 0o600); err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	if !cfg.Hold {
		if s.sim, err = startChild("simulator", cfg.Binary, []string{"simulator", "-config", simPath}, filepath.Join(s.Dir, "simulator.log")); err != nil {
			return nil, err
		}
		if err := waitListening(ctx, simAddr, cfg.ReadyTimeout, s.sim.done); err != nil {
			return nil, fmt.Errorf("spawn: simulator: %w\n%s", err, s.sim.tail())
		}
	}
	args := []string{"serve", "-config", svcPath}
	if cfg.CPUProfile != "" {
		args = append(args, "-cpuprofile", cfg.CPUProfile)
	}
	if s.svc, err = startChild("serve", cfg.Binary, args, filepath.Join(s.Dir, "serve.log")); err != nil {
		return nil, err
	}
	s.URL = "http://" + httpAddr
	// A held channel never gets a link, so /readyz stays 503: the API is
	// up once /healthz answers.
	path := "/readyz"
	if cfg.Hold {
		path = "/healthz"
	}
	if err := waitOK(ctx, s.URL, path, cfg.ReadyTimeout, s.svc.done); err != nil {
		return nil, fmt.Errorf("spawn: service: %w\n%s", err, s.svc.tail())
	}
	return s, nil
}

// simulatorYAML is the generated `smsbridge simulator` configuration.
func (s *Spawned) simulatorYAML(addr, secret string) []byte {
	return []byte(fmt.Sprintf(`# generated by smsbridge bench -spawn
addr: %q
admin_addr: ""
report_delay: %s
flush_delay: %s
max_received: 1000
accounts:
  - sp_id: %q
    secret: %q
    max_links: 0
    max_submits_per_sec: 0
    src_id_prefix: %q
`, addr, s.cfg.ReportDelay, max(s.cfg.SimFlushDelay, 0), spawnSPID, secret, spawnSrcID))
}

// serviceYAML is the generated `smsbridge serve` configuration.
func (s *Spawned) serviceYAML(httpAddr, simAddr, spSecret string) []byte {
	sum := sha256.Sum256([]byte(s.Key))
	// The tool's receiver listens on loopback: webhooks to it must be
	// allowed.
	webhook := "webhook: {allow_private_networks: true}\n"
	if s.cfg.WebhookPerHost > 0 {
		webhook = fmt.Sprintf("webhook: {allow_private_networks: true, per_host_concurrency: %d}\n", s.cfg.WebhookPerHost)
	}
	return []byte(fmt.Sprintf(`# generated by smsbridge bench -spawn
http: {addr: %q}
redis: {addr: %q, prefix: %q}
log: {level: %s}
shutdown_timeout: 10s
simulator: {embedded: false}
channels:
  - {name: bench, addr: %q, version: "3.0", sp_id: %q, secret: %q, src_id: %q, service_id: BENCH,
     links: %d, window: %d, max_submits_per_sec: 0}
tenants:
  - {name: bench, key_sha256: %s, webhook_secret: %q, channels: [bench], default: true,
     webhook_batch_max: %d}
%s`, httpAddr, s.cfg.RedisAddr, s.Prefix, s.cfg.LogLevel, simAddr, spawnSPID, spSecret, spawnSrcID,
		s.cfg.Links, s.cfg.Window, hex.EncodeToString(sum[:]), s.WebhookSecret, s.cfg.WebhookBatch, webhook))
}

// CPUProbes measure the simulator (from /proc; none when held) and the
// Redis server (INFO cpu; it may serve others too).
func (s *Spawned) CPUProbes() []CPUProbe {
	var ps []CPUProbe
	if s.sim != nil {
		ps = append(ps, CPUProbe{Name: "simulator", Read: func() (float64, error) { return ProcCPUSeconds(s.sim.cmd.Process.Pid) }})
	}
	return append(ps, CPUProbe{Name: "redis-server (whole server)", Read: func() (float64, error) { return redisCPUSeconds(s.rdb) }})
}

// Close stops the service (SIGTERM: it drains), then the simulator,
// deletes every Redis key of the run (SCAN + UNLINK) and removes Dir
// unless KeepDir. It returns the first error.
func (s *Spawned) Close() error {
	var errs []error
	if s.svc != nil {
		errs = append(errs, s.svc.stop(20*time.Second))
	}
	if s.sim != nil {
		errs = append(errs, s.sim.stop(10*time.Second))
	}
	if s.rdb != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		errs = append(errs, DeletePrefix(ctx, s.rdb, s.Prefix))
		cancel()
		errs = append(errs, s.rdb.Close())
	}
	if s.Dir != "" && !s.cfg.KeepDir {
		errs = append(errs, os.RemoveAll(s.Dir))
	}
	return errors.Join(errs...)
}

// DeletePrefix deletes every key of a store prefix ("{prefix:…}:…" and
// "prefix:…") with SCAN + UNLINK in batches.
func DeletePrefix(ctx context.Context, rdb redis.Cmdable, prefix string) error {
	if prefix == "" || strings.ContainsAny(prefix, "*?[]\\") {
		return fmt.Errorf("delete prefix %q: refusing a pattern", prefix)
	}
	it := rdb.Scan(ctx, 0, "*"+prefix+":*", 1000).Iterator()
	batch := make([]string, 0, 500)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := rdb.Unlink(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for it.Next(ctx) {
		batch = append(batch, it.Val())
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	return flush()
}

// child is one process started by Spawn.
type child struct {
	name    string
	cmd     *exec.Cmd
	log     *os.File
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // Wait's result, set before done is closed
}

// startChild runs bin args with its output in logPath. SMSBRIDGE_*
// variables are not passed on (they would override the generated
// configuration); the child is killed if this process dies.
func startChild(name, bin string, args []string, logPath string) (*child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("spawn %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = f
	cmd.Stderr = f
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMSBRIDGE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("spawn %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: f, logPath: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		_ = f.Close()
		close(c.done)
	}()
	return c, nil
}

// stop sends SIGTERM and waits up to timeout, then kills.
func (c *child) stop(timeout time.Duration) error {
	select {
	case <-c.done:
		return exitError(c)
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
		return exitError(c)
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within %v after SIGTERM: killed", c.name, timeout)
	}
}

func exitError(c *child) error {
	if c.err != nil {
		return fmt.Errorf("%s: %w\n%s", c.name, c.err, c.tail())
	}
	return nil
}

// tail returns the end of the child's log.
func (c *child) tail() string {
	data, err := os.ReadFile(c.logPath)
	if err != nil {
		return ""
	}
	const max = 4000
	if len(data) > max {
		data = data[len(data)-max:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return fmt.Sprintf("--- %s log (%s) ---\n%s", c.name, c.logPath, data)
}

// waitListening waits until addr accepts TCP connections.
func waitListening(ctx context.Context, addr string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not listening after %v: %w", addr, timeout, err)
		case <-exited:
			return errors.New("exited before listening")
		case <-tick.C:
		}
	}
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = io.ReadFull(rand.Reader, b)
	return hex.EncodeToString(b)
}

func setDefaultInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}
