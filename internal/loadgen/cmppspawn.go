package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// CMPPSpawnConfig configures SpawnCMPP. Zero fields take the defaults
// listed with them.
type CMPPSpawnConfig struct {
	// Binary is the smsbridge executable. Default os.Executable().
	Binary string
	// RedisAddr is the real Redis the service uses (required). Every key
	// is under a fresh random prefix, deleted by Close.
	RedisAddr string
	// Links is the account's max_links (the customer links the bench
	// opens). Default 1.
	Links int
	// Upstream runs the ISMG simulator as the channel's upstream: the
	// whole pipeline runs and status reports come back. Without it the
	// channel points at a closed loopback port on purpose: segments stay
	// queued, which measures "stored in Redis, SUBMIT_RESP sent" alone.
	Upstream bool
	// ChannelLinks and ChannelWindow of the upstream channel. Defaults 4
	// and 16.
	ChannelLinks, ChannelWindow int
	// ReportDelay of the simulator. Default 10 ms.
	ReportDelay time.Duration
	// CPUProfile, when set, is passed to `smsbridge serve -cpuprofile`.
	CPUProfile string
	// LogLevel of the service. Default "warn".
	LogLevel string
	// ReadyTimeout bounds the wait for the service. Default 30 s.
	ReadyTimeout time.Duration
	// KeepDir keeps the generated configs and the children's logs.
	KeepDir bool
}

// CMPPSpawned is a local service (and simulator with Upstream) started by
// SpawnCMPP.
type CMPPSpawned struct {
	// Addr is the service's CMPP server address; Account and Secret the
	// bench tenant's CMPP login; ServiceCode its Src_Id prefix.
	Addr, Account, Secret, ServiceCode string
	// URL is the service's API base URL.
	URL string
	// Prefix is the Redis key prefix of this run.
	Prefix string
	// Dir holds the generated configs and the children's logs.
	Dir string

	cfg      CMPPSpawnConfig
	sim, svc *child
	rdb      *redis.Client
}

// Fixed identities of the CMPP bench tenant.
const (
	cmppSpawnAccount     = "900099"
	cmppSpawnServiceCode = spawnSrcID
)

// SpawnCMPP starts `smsbridge serve` (and, with Upstream, `smsbridge
// simulator`) as child processes with generated configurations: free
// loopback ports, the CMPP server on, one tenant with CMPP access and no
// limits, one channel. It returns once the CMPP server serves. Close
// stops them and deletes the run's Redis keys.
func SpawnCMPP(ctx context.Context, cfg CMPPSpawnConfig) (_ *CMPPSpawned, err error) {
	if cfg.RedisAddr == "" {
		return nil, errors.New("spawn: a Redis address is required")
	}
	if cfg.Binary == "" {
		if cfg.Binary, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("spawn: %w", err)
		}
	}
	setDefaultInt(&cfg.Links, 1)
	setDefaultInt(&cfg.ChannelLinks, 4)
	setDefaultInt(&cfg.ChannelWindow, 16)
	if cfg.ReportDelay == 0 {
		cfg.ReportDelay = 10 * time.Millisecond
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	s := &CMPPSpawned{cfg: cfg, Account: cmppSpawnAccount, Secret: randomHex(8), ServiceCode: cmppSpawnServiceCode,
		Prefix: "benchcmpp" + randomHex(5)}
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
	if s.Dir, err = os.MkdirTemp("", "smsbridge-bench-cmpp-"); err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	// Ports: simulator (or the closed port the held channel points at),
	// HTTP, CMPP.
	ports, err := freePorts(3)
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	simAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	httpAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	s.Addr = "127.0.0.1:" + strconv.Itoa(ports[2])
	spSecret := randomHex(6)
	if cfg.Upstream {
		simPath := filepath.Join(s.Dir, "simulator.yaml")
		sim := &Spawned{cfg: SpawnConfig{ReportDelay: cfg.ReportDelay}}
		if err := os.WriteFile(simPath, sim.simulatorYAML(simAddr, spSecret), 0o600); err != nil {
			return nil, fmt.Errorf("spawn: %w", err)
		}
		if s.sim, err = startChild("simulator", cfg.Binary, []string{"simulator", "-config", simPath}, filepath.Join(s.Dir, "simulator.log")); err != nil {
			return nil, err
		}
		if err := waitListening(ctx, simAddr, cfg.ReadyTimeout, s.sim.done); err != nil {
			return nil, fmt.Errorf("spawn: simulator: %w\n%s", err, s.sim.tail())
		}
	}
	svcPath := filepath.Join(s.Dir, "config.yaml")
	if err := os.WriteFile(svcPath, s.serviceYAML(httpAddr, simAddr, spSecret), 0o600); err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	args := []string{"serve", "-config", svcPath}
	if cfg.CPUProfile != "" {
		args = append(args, "-cpuprofile", cfg.CPUProfile)
	}
	if s.svc, err = startChild("serve", cfg.Binary, args, filepath.Join(s.Dir, "serve.log")); err != nil {
		return nil, err
	}
	s.URL = "http://" + httpAddr
	// A held channel never gets a link, so /readyz stays 503: the service
	// is up once /healthz answers (HTTP and the CMPP server start
	// together). With an upstream, wait for the channel's link too.
	path := "/healthz"
	if cfg.Upstream {
		path = "/readyz"
	}
	if err := waitOK(ctx, s.URL, path, cfg.ReadyTimeout, s.svc.done); err != nil {
		return nil, fmt.Errorf("spawn: service: %w\n%s", err, s.svc.tail())
	}
	if err := waitListening(ctx, s.Addr, cfg.ReadyTimeout, s.svc.done); err != nil {
		return nil, fmt.Errorf("spawn: service CMPP server: %w\n%s", err, s.svc.tail())
	}
	return s, nil
}

// serviceYAML is the generated `smsbridge serve` configuration. Without
// Upstream the channel's addr is a loopback port nothing listens on.
func (s *CMPPSpawned) serviceYAML(httpAddr, simAddr, spSecret string) []byte {
	key := "bk-" + randomHex(16)
	sum := sha256.Sum256([]byte(key))
	return []byte(fmt.Sprintf(`# generated by smsbridge bench-cmpp -spawn
http: {addr: %q}
redis: {addr: %q, prefix: %q}
log: {level: %s}
shutdown_timeout: 10s
simulator: {embedded: false}
cmpp_server: {addr: %q}
channels:
  - {name: bench, addr: %q, version: "3.0", sp_id: %q, secret: %q, src_id: %q, service_id: BENCH,
     links: %d, window: %d, max_submits_per_sec: 0}
tenants:
  - name: bench
    key_sha256: %s
    webhook_secret: %q
    channels: [bench]
    default: true
    cmpp: {account: %q, secret: %q, max_links: %d, max_submits_per_sec: 0, version: "3.0", service_code: %q}
`, httpAddr, s.cfg.RedisAddr, s.Prefix, s.cfg.LogLevel, s.Addr, simAddr, spawnSPID, spSecret, spawnSrcID,
		s.cfg.ChannelLinks, s.cfg.ChannelWindow, hex.EncodeToString(sum[:]), randomHex(16),
		s.Account, s.Secret, s.cfg.Links, s.ServiceCode))
}

// CPUProbes measure the service and the Redis server (INFO cpu; it may
// serve others too), and the simulator with Upstream.
func (s *CMPPSpawned) CPUProbes() []CPUProbe {
	ps := []CPUProbe{
		{Name: "service", Read: func() (float64, error) { return ProcCPUSeconds(s.svc.cmd.Process.Pid) }},
		{Name: "redis-server (whole server)", Read: func() (float64, error) { return redisCPUSeconds(s.rdb) }},
	}
	if s.sim != nil {
		ps = append(ps, CPUProbe{Name: "simulator", Read: func() (float64, error) { return ProcCPUSeconds(s.sim.cmd.Process.Pid) }})
	}
	return ps
}

// Close stops the service (SIGTERM: it drains), then the simulator,
// deletes every Redis key of the run and removes Dir unless KeepDir. It
// returns the first error.
func (s *CMPPSpawned) Close() error {
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
