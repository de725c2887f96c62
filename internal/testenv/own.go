package testenv

import (
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Proc is a redis-server process owned by one test, which may pause,
// resume or kill it without disturbing other tests.
type Proc struct {
	srv *server
}

// Addr is the server's host:port.
func (p *Proc) Addr() string { return p.srv.addr }

// Pause stops the process (SIGSTOP): the kernel still accepts connections
// and buffers what clients send; the server answers nothing until Resume.
func (p *Proc) Pause(t testing.TB) { p.signal(t, syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT); it then runs what clients
// sent meanwhile.
func (p *Proc) Resume(t testing.TB) { p.signal(t, syscall.SIGCONT) }

// Kill kills the process and waits for it to exit.
func (p *Proc) Kill() {
	_ = p.srv.cmd.Process.Signal(syscall.SIGCONT)
	p.srv.kill()
}

func (p *Proc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.srv.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("testenv: signal %v to redis-server %s: %v", sig, p.srv.addr, err)
	}
}

// OwnRedis starts a redis-server for t alone (not shared with other
// tests), for tests that pause or kill it; extra are more redis-server
// arguments (e.g. "--replicaof", host, port). It is killed at cleanup,
// keys included. The environment's Client talks to it. Without
// redis-server on PATH it skips t with a notice, except under CI=true
// where it fails.
func OwnRedis(t testing.TB, extra ...string) (*RedisEnv, *Proc) {
	t.Helper()
	needServerBinary(t)
	dir, err := tempDir("testenv-own-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	srv, err := startServer(dir, false, extra...)
	if err != nil {
		t.Fatalf("testenv: own redis-server: %v", err)
	}
	p := &Proc{srv: srv}
	t.Cleanup(p.Kill)
	env := &RedisEnv{
		Client: redis.NewClient(&redis.Options{Addr: srv.addr}),
		Addr:   srv.addr, Addrs: []string{srv.addr}, Prefix: randomPrefix(),
		Real: true, Kind: KindPrivate,
	}
	t.Cleanup(func() { _ = env.Client.Close() }) // runs before the kill
	return env, p
}

// OwnCluster starts a 3-master Redis Cluster for t alone, for tests that
// pause or kill nodes; its nodes are killed at cleanup. procs[i] is the
// node at env.Addrs[i]. Without redis-server on PATH it skips t with a
// notice, except under CI=true where it fails.
func OwnCluster(t testing.TB) (*RedisEnv, []*Proc) {
	t.Helper()
	needServerBinary(t)
	srvs, err := startCluster()
	if err != nil {
		t.Fatalf("testenv: own cluster: %v", err)
	}
	procs := make([]*Proc, len(srvs))
	for i, s := range srvs {
		procs[i] = &Proc{srv: s}
	}
	t.Cleanup(func() {
		for _, p := range procs {
			p.Kill()
		}
	})
	addrs := make([]string, len(srvs))
	for i, s := range srvs {
		addrs[i] = s.addr
	}
	env := &RedisEnv{
		Client: redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs}),
		Addr:   addrs[0], Addrs: addrs, Prefix: randomPrefix(),
		Real: true, Cluster: true, Kind: KindPrivate,
	}
	// No key cleanup: the cluster dies with the test.
	t.Cleanup(func() { _ = env.Client.Close() })
	ctx, cancel := helperCtx()
	defer cancel()
	if err := env.Client.Ping(ctx).Err(); err != nil {
		t.Fatalf("testenv: own cluster does not answer: %v", err)
	}
	return env, procs
}

// needServerBinary skips (or, under CI=true, fails) t when redis-server is
// not on PATH.
func needServerBinary(t testing.TB) {
	t.Helper()
	if redisServerPath() != "" {
		return
	}
	if inCI() {
		t.Fatal("testenv: CI=true requires redis-server on PATH")
	}
	t.Skip("testenv: NOTICE: redis-server not on PATH; test needing its own server skipped")
}
