package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterMasters is the number of masters Cluster starts.
const clusterMasters = 3

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// shared private cluster (one per test binary).
var (
	clusterMu    sync.Mutex
	clusterNodes []string
	clusterErr   error
)

// Cluster returns an environment on a 3-master Redis Cluster:
// $REDIS_CLUSTER_ADDRS when set, else one started from redis-server
// binaries (shared by the test binary). Without redis-server it skips t
// with a notice, except under CI=true where it fails.
func Cluster(t testing.TB) *RedisEnv {
	t.Helper()
	if v := os.Getenv("REDIS_CLUSTER_ADDRS"); v != "" {
		return newEnv(t, KindExternal, strings.Split(v, ","), true)
	}
	if redisServerPath() == "" {
		if inCI() {
			t.Fatal("testenv: CI=true requires redis-server on PATH (or REDIS_CLUSTER_ADDRS) for cluster tests")
		}
		t.Skip("testenv: NOTICE: redis-server not on PATH; Redis Cluster test skipped")
	}
	nodes, err := privateCluster()
	if err != nil {
		t.Fatalf("testenv: private cluster: %v", err)
	}
	return newEnv(t, KindPrivate, nodes, true)
}

// privateCluster starts the shared cluster on first use.
func privateCluster() ([]string, error) {
	clusterMu.Lock()
	defer clusterMu.Unlock()
	if clusterNodes != nil || clusterErr != nil {
		return clusterNodes, clusterErr
	}
	srvs, err := startCluster()
	if err != nil {
		clusterErr = err
		return nil, err
	}
	for _, s := range srvs {
		clusterNodes = append(clusterNodes, s.addr)
	}
	return clusterNodes, nil
}

// startCluster starts clusterMasters cluster-enabled servers, assigns each
// an equal slot range (CLUSTER ADDSLOTS), joins them (CLUSTER MEET) and waits
// until every node reports cluster_state:ok and sees all masters.
func startCluster() ([]*server, error) {
	dir, err := tempDir("testenv-cluster-")
	if err != nil {
		return nil, err
	}
	srvs := make([]*server, clusterMasters)
	for i := range srvs {
		if srvs[i], err = startServer(dir, true); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clients := make([]*redis.Client, len(srvs))
	addrs := make([]string, len(srvs))
	for i, s := range srvs {
		clients[i] = redis.NewClient(&redis.Options{Addr: s.addr})
		defer clients[i].Close()
		addrs[i] = s.addr
	}
	per := clusterSlots / clusterMasters
	for i, c := range clients {
		lo, hi := i*per, (i+1)*per-1
		if i == len(clients)-1 {
			hi = clusterSlots - 1
		}
		slots := make([]int, 0, hi-lo+1)
		for s := lo; s <= hi; s++ {
			slots = append(slots, s)
		}
		if err := c.ClusterAddSlots(ctx, slots...).Err(); err != nil {
			return nil, fmt.Errorf("CLUSTER ADDSLOTS on %s: %w", addrs[i], err)
		}
	}
	for i := 1; i < len(srvs); i++ {
		if err := clients[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(srvs[i].port)).Err(); err != nil {
			return nil, fmt.Errorf("CLUSTER MEET %s: %w", addrs[i], err)
		}
	}
	if err := waitClusterOK(ctx, clients); err != nil {
		return nil, err
	}
	return srvs, nil
}

// waitClusterOK polls CLUSTER INFO and CLUSTER SLOTS on every node until the
// cluster is usable from any of them.
func waitClusterOK(ctx context.Context, clients []*redis.Client) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		ok := true
		for _, c := range clients {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") ||
				!strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(clients))) {
				ok, last = false, info
				break
			}
			slots, err := c.ClusterSlots(ctx).Result()
			if err != nil || len(slots) != len(clients) {
				ok, last = false, fmt.Sprintf("node %s sees %d slot ranges (err %v)", c.Options().Addr, len(slots), err)
				break
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testenv: cluster not ready: %s", last)
		case <-tick.C:
		}
	}
}
