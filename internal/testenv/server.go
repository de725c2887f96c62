package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a redis-server may take to answer PING.
const startTimeout = 15 * time.Second

// server is one redis-server process started by this package.
type server struct {
	addr string
	port int
	cmd  *exec.Cmd
	out  *LogBuffer
	done chan struct{} // closed when the process has exited
}

// registry of every process and temporary directory to remove in Stop.
var (
	regMu   sync.Mutex
	servers []*server
	dirs    []string
)

// spawnReq asks the spawner goroutine to start a command.
type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

// spawn starts cmd from a goroutine locked to an OS thread that never exits,
// so that Pdeathsig (which fires when the *thread* that forked the child
// dies) only fires when the whole test process dies.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for req := range spawnCh {
				req.err <- req.cmd.Start()
			}
		}()
	})
	req := spawnReq{cmd: cmd, err: make(chan error, 1)}
	spawnCh <- req
	return <-req.err
}

// redisServerPath returns the redis-server binary, or "" when absent.
func redisServerPath() string {
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return ""
	}
	return p
}

// freePort returns a loopback TCP port that was free a moment ago. When
// withBus is set, port+10000 (the cluster bus port) must be free too.
func freePort(withBus bool) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !withBus {
			return port, nil
		}
		if port+10000 > 65535 {
			continue
		}
		bl, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		_ = bl.Close()
		return port, nil
	}
	return 0, errors.New("testenv: no free port found")
}

// startServer starts a redis-server in dir on a free port, with extra
// arguments appended, and waits until it answers PING. A port lost to a
// race is retried.
func startServer(dir string, cluster bool, extra ...string) (*server, error) {
	bin := redisServerPath()
	if bin == "" {
		return nil, errors.New("testenv: redis-server not on PATH")
	}
	var lastErr error
	for range 5 {
		port, err := freePort(cluster)
		if err != nil {
			return nil, err
		}
		args := []string{
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", dir,
			"--save", "",
			"--appendonly", "no",
			"--daemonize", "no",
			"--protected-mode", "no",
			"--loglevel", "warning",
			"--logfile", "",
		}
		if cluster {
			args = append(args,
				"--cluster-enabled", "yes",
				"--cluster-config-file", fmt.Sprintf("nodes-%d.conf", port),
				"--cluster-node-timeout", "5000",
			)
		}
		args = append(args, extra...)
		srv := &server{
			addr: "127.0.0.1:" + strconv.Itoa(port),
			port: port,
			out:  &LogBuffer{},
			done: make(chan struct{}),
		}
		srv.cmd = exec.Command(bin, args...)
		srv.cmd.Dir = dir
		srv.cmd.Stdout = srv.out
		srv.cmd.Stderr = srv.out
		srv.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := spawn(srv.cmd); err != nil {
			return nil, fmt.Errorf("testenv: start redis-server: %w", err)
		}
		go func() {
			_ = srv.cmd.Wait()
			close(srv.done)
		}()
		regMu.Lock()
		servers = append(servers, srv)
		regMu.Unlock()
		if err := waitPing(srv); err != nil {
			lastErr = err
			srv.kill()
			continue
		}
		return srv, nil
	}
	return nil, lastErr
}

// waitPing polls PING until the server answers, it exits, or startTimeout.
func waitPing(srv *server) error {
	c := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := c.Ping(ctx).Err(); err == nil {
			return nil
		}
		select {
		case <-srv.done:
			return fmt.Errorf("testenv: redis-server on %s exited: %s", srv.addr, srv.out.String())
		case <-ctx.Done():
			return fmt.Errorf("testenv: redis-server on %s not ready after %v: %s", srv.addr, startTimeout, srv.out.String())
		case <-tick.C:
		}
	}
}

// kill stops the process and waits for it to exit.
func (s *server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// tempDir makes a temporary directory removed by Stop.
func tempDir(pattern string) (string, error) {
	d, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	regMu.Lock()
	dirs = append(dirs, d)
	regMu.Unlock()
	return d, nil
}

// Stop kills every redis-server this package started and removes their
// temporary directories. Main calls it; call it yourself from a TestMain
// that cannot use Main. Environments handed out before Stop stop working.
func Stop() {
	regMu.Lock()
	srvs, ds := servers, dirs
	servers, dirs = nil, nil
	regMu.Unlock()
	for _, s := range srvs {
		s.kill()
	}
	for _, d := range ds {
		_ = os.RemoveAll(d)
	}
	privateMu.Lock()
	private, privateErr = nil, nil
	privateMu.Unlock()
	clusterMu.Lock()
	clusterNodes, clusterErr = nil, nil
	clusterMu.Unlock()
}

// Main runs the tests of m, stops every private server (Stop) and exits
// with the tests' status. Use it as the whole body of TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}
