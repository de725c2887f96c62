package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"
)

// spawnProcs owns what Spawn and SpawnCMPP start for one run: the Redis
// client of the run's key prefix, the directory of generated configs and
// child logs, the simulator (optional) and the service. close stops them
// and deletes the keys and the directory.
type spawnProcs struct {
	bin          string
	redisAddr    string
	readyTimeout time.Duration
	keepDir      bool

	prefix, dir string
	sim, svc    *child // nil until started
	rdb         *redis.Client
}

// spawnBase are the settings every spawn has. Zero fields take the
// defaults of openSpawn.
type spawnBase struct {
	Binary, RedisAddr string
	ReadyTimeout      time.Duration
	KeepDir           bool
}

// openSpawn checks Redis answers and makes the run's directory (named
// after dirPattern, see os.MkdirTemp). Binary defaults to os.Executable(),
// ReadyTimeout to 30 s. On error nothing is left behind.
func openSpawn(ctx context.Context, base spawnBase, prefix, dirPattern string) (_ *spawnProcs, err error) {
	if base.RedisAddr == "" {
		return nil, errors.New("spawn: a Redis address is required")
	}
	if base.Binary == "" {
		if base.Binary, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("spawn: %w", err)
		}
	}
	if base.ReadyTimeout == 0 {
		base.ReadyTimeout = 30 * time.Second
	}
	p := &spawnProcs{bin: base.Binary, redisAddr: base.RedisAddr, readyTimeout: base.ReadyTimeout, keepDir: base.KeepDir, prefix: prefix}
	defer func() {
		if err != nil {
			_ = p.close()
		}
	}()
	p.rdb = redis.NewClient(&redis.Options{Addr: base.RedisAddr})
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = p.rdb.Ping(pingCtx).Err()
	cancel()
	if err != nil {
		return nil, fmt.Errorf("spawn: redis %s: %w", base.RedisAddr, err)
	}
	if p.dir, err = os.MkdirTemp("", dirPattern); err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	return p, nil
}

// writeFile writes a generated file into the run's directory and returns
// its path.
func (p *spawnProcs) writeFile(name string, data []byte) (string, error) {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("spawn: %w", err)
	}
	return path, nil
}

// startSimulator runs `smsbridge simulator` with config yaml and waits
// until it listens on addr.
func (p *spawnProcs) startSimulator(ctx context.Context, addr string, yaml []byte) error {
	path, err := p.writeFile("simulator.yaml", yaml)
	if err != nil {
		return err
	}
	if p.sim, err = startChild("simulator", p.bin, []string{"simulator", "-config", path}, filepath.Join(p.dir, "simulator.log")); err != nil {
		return err
	}
	if err := waitListening(ctx, addr, p.readyTimeout, p.sim.done); err != nil {
		return fmt.Errorf("spawn: simulator: %w\n%s", err, p.sim.tail())
	}
	return nil
}

// startService runs `smsbridge serve` with config yaml (and -cpuprofile
// when cpuProfile is set) and waits until GET url+readyPath answers 200.
func (p *spawnProcs) startService(ctx context.Context, yaml []byte, cpuProfile, url, readyPath string) error {
	path, err := p.writeFile("config.yaml", yaml)
	if err != nil {
		return err
	}
	args := []string{"serve", "-config", path}
	if cpuProfile != "" {
		args = append(args, "-cpuprofile", cpuProfile)
	}
	if p.svc, err = startChild("serve", p.bin, args, filepath.Join(p.dir, "serve.log")); err != nil {
		return err
	}
	if err := waitOK(ctx, url, readyPath, p.readyTimeout, p.svc.done); err != nil {
		return fmt.Errorf("spawn: service: %w\n%s", err, p.svc.tail())
	}
	return nil
}

// simulatorProbe measures the simulator's CPU (from /proc); ok is false
// when none was started.
func (p *spawnProcs) simulatorProbe() (_ CPUProbe, ok bool) {
	if p.sim == nil {
		return CPUProbe{}, false
	}
	pid := p.sim.cmd.Process.Pid
	return CPUProbe{Name: "simulator", Read: func() (float64, error) { return ProcCPUSeconds(pid) }}, true
}

// redisProbe measures the Redis server's CPU (INFO cpu; it may serve
// others too).
func (p *spawnProcs) redisProbe() CPUProbe {
	return CPUProbe{Name: "redis-server (whole server)", Read: func() (float64, error) { return redisCPUSeconds(p.rdb) }}
}

// close stops the service (SIGTERM: it drains), then the simulator,
// deletes every Redis key of the run's prefix (SCAN + UNLINK) and removes
// the directory unless keepDir. It returns every error joined.
func (p *spawnProcs) close() error {
	var errs []error
	if p.svc != nil {
		errs = append(errs, p.svc.stop(20*time.Second))
	}
	if p.sim != nil {
		errs = append(errs, p.sim.stop(10*time.Second))
	}
	if p.rdb != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		errs = append(errs, DeletePrefix(ctx, p.rdb, p.prefix))
		cancel()
		errs = append(errs, p.rdb.Close())
	}
	if p.dir != "" && !p.keepDir {
		errs = append(errs, os.RemoveAll(p.dir))
	}
	return errors.Join(errs...)
}
