package loadgen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// buildBinary builds the smsbridge command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "smsbridge")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/smsbridge/smsbridge").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSpawnRunAndClose runs the -spawn path with the real binary: the
// children start from generated configs, a short run loses nothing, the
// CPU probes read, the service writes its CPU profile on SIGTERM and Close
// deletes every key of the run's prefix.
func TestSpawnRunAndClose(t *testing.T) {
	env := testenv.Redis(t)
	bin := buildBinary(t)
	profile := filepath.Join(t.TempDir(), "cpu.prof")
	s, err := Spawn(context.Background(), SpawnConfig{
		Binary: bin, RedisAddr: env.Addr, Links: 2, Window: 8, CPUProfile: profile,
	})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = s.Close()
		}
	})
	redisAddr := ""
	if env.Real {
		redisAddr = env.Addr // miniredis has no INFO cpu/commandstats
	}
	rep, err := Run(context.Background(), Config{
		URL: s.URL, Key: s.Key, WebhookSecret: s.WebhookSecret, CPUProbes: s.CPUProbes(),
		Rate: 40, Duration: time.Second, Recipients: 2, Drain: 20 * time.Second,
		RedisAddr: redisAddr, Preset: "otp",
	})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())
	if !strings.Contains(table.String(), "preset           otp") {
		t.Error("the report does not name the preset")
	}
	if env.Real {
		checkRedisFigures(t, rep, table.String(), 80, 80)
	}
	if rep.Requests.Accepted != 40 || rep.Webhooks.Unique != 80 || rep.Lost != 0 || len(rep.Errors) != 0 {
		t.Errorf("accepted %d, webhooks %d, lost %d, errors %v", rep.Requests.Accepted, rep.Webhooks.Unique, rep.Lost, rep.Errors)
	}
	if rep.Service == nil || rep.Service.SubmitsOK != 80 {
		t.Errorf("service figures: %+v", rep.Service)
	}
	names := map[string]ProcessCPU{}
	for _, c := range rep.CPU {
		names[c.Name] = c
	}
	probes := []string{cpuService, cpuBench, "simulator"}
	if env.Real {
		// miniredis (the no-Redis fallback) has no INFO cpu section.
		probes = append(probes, "redis-server (whole server)")
	}
	for _, n := range probes {
		if c, ok := names[n]; !ok || c.Error != "" || c.Seconds < 0 {
			t.Errorf("CPU of %s: %+v (present %v)", n, c, ok)
		}
	}
	prefixKeys := func() int {
		n := 0
		it := env.Client.Scan(context.Background(), 0, "*"+s.Prefix+":*", 1000).Iterator()
		for it.Next(context.Background()) {
			n++
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if prefixKeys() == 0 {
		t.Error("the run wrote no key under its prefix")
	}
	dir := s.Dir
	closed = true
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := prefixKeys(); n != 0 {
		t.Errorf("%d keys left under prefix %s", n, s.Prefix)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("spawn directory %s not removed: %v", dir, err)
	}
	if st, err := os.Stat(profile); err != nil || st.Size() == 0 {
		t.Errorf("CPU profile: %v", err)
	}
}

// The generated service configuration is one the service accepts, with
// the bench tenant's webhook_batch_max; an out-of-range batch size is
// refused before anything starts.
func TestSpawnServiceConfig(t *testing.T) {
	s := &Spawned{cfg: SpawnConfig{RedisAddr: "127.0.0.1:6379", Links: 2, Window: 8, LogLevel: "warn", WebhookBatch: 64, WebhookPerHost: 16},
		Key: "bk-test", WebhookSecret: "whsec-0123456789abcdef", Prefix: "benchtest"}
	cfg, err := config.Parse(s.serviceYAML("127.0.0.1:18080", "127.0.0.1:17890", "secret"), nil)
	if err != nil {
		t.Fatalf("generated config refused: %v", err)
	}
	if len(cfg.Tenants) != 1 || cfg.Tenants[0].WebhookBatchMax != 64 || cfg.Webhook.PerHostConcurrency != 16 {
		t.Fatalf("tenants %+v, webhook %+v", cfg.Tenants, cfg.Webhook)
	}
	// The tool's receiver is on loopback: the service must allow it, with
	// or without a per-host setting.
	for _, perHost := range []int{16, 0} {
		s.cfg.WebhookPerHost = perHost
		cfg, err := config.Parse(s.serviceYAML("127.0.0.1:18080", "127.0.0.1:17890", "secret"), nil)
		if err != nil || !cfg.Webhook.AllowPrivateNetworks {
			t.Fatalf("per host %d: webhook %+v, %v: want allow_private_networks", perHost, cfg.Webhook, err)
		}
	}
	for _, n := range []int{-1, 1001} {
		_, err := Spawn(context.Background(), SpawnConfig{Binary: "/bin/false", RedisAddr: "127.0.0.1:6379", WebhookBatch: n})
		if err == nil || !strings.Contains(err.Error(), "webhook batch") {
			t.Errorf("webhook batch %d: err = %v", n, err)
		}
	}
}

func TestSpawnReportsAChildThatCannotStart(t *testing.T) {
	env := testenv.Redis(t)
	// /bin/false exits at once: Spawn must say so with the log, not hang.
	_, err := Spawn(context.Background(), SpawnConfig{Binary: "/bin/false", RedisAddr: env.Addr, ReadyTimeout: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "simulator") {
		t.Fatalf("err = %v, want a simulator start error", err)
	}
}

func TestDeletePrefixRefusesPatterns(t *testing.T) {
	env := testenv.Redis(t)
	for _, p := range []string{"", "*", "a?b", "x[1]"} {
		if err := DeletePrefix(context.Background(), env.Client, p); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// checkRedisFigures checks the Redis section of a run that accepted the
// given recipients and segments: the server did work for them (the
// service's scripts among it) and the text report shows it.
func checkRedisFigures(t *testing.T, rep *Report, table string, messages, segments int64) {
	t.Helper()
	f := rep.Redis
	if f == nil || f.Error != "" {
		t.Fatalf("redis figures: %+v", f)
	}
	if f.Messages != messages || f.Segments != segments {
		t.Errorf("redis figures per %d messages, %d segments; want %d, %d", f.Messages, f.Segments, messages, segments)
	}
	if f.CPUSeconds <= 0 || f.CPUMicrosPerMessage <= 0 || f.CPUMicrosPerSegment <= 0 {
		t.Errorf("redis CPU %v s, %v µs/msg, %v µs/seg: want > 0", f.CPUSeconds, f.CPUMicrosPerMessage, f.CPUMicrosPerSegment)
	}
	if f.CommandsTotal.CallsPerMessage <= 0 || f.ScriptsTotal.CallsPerMessage <= 0 || len(f.Commands) == 0 {
		t.Errorf("commandstats: total %+v scripts %+v", f.CommandsTotal, f.ScriptsTotal)
	}
	if f.UsedMemoryStart <= 0 || f.UsedMemoryEnd <= 0 {
		t.Errorf("used_memory %d → %d", f.UsedMemoryStart, f.UsedMemoryEnd)
	}
	for _, want := range []string{"CPU per message / segment", "calls/msg", "evalsha", "all commands", "whole server"} {
		if !strings.Contains(table, want) {
			t.Errorf("report table lacks %q", want)
		}
	}
}

// With Hold the channel's upstream is unreachable on purpose: requests are
// accepted and their segments stay queued, the run awaits no webhook,
// reports them as queued (not lost) and gives Redis memory per segment.
func TestSpawnHoldQueuesSegments(t *testing.T) {
	env := testenv.Redis(t)
	if !env.Real {
		t.Skip("the Redis figures need a real redis-server")
	}
	bin := buildBinary(t)
	s, err := Spawn(context.Background(), SpawnConfig{Binary: bin, RedisAddr: env.Addr, Hold: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for _, p := range s.CPUProbes() {
		if p.Name == "simulator" {
			t.Error("a held channel started a simulator")
		}
	}
	rep, err := Run(context.Background(), Config{
		URL: s.URL, Key: s.Key, WebhookSecret: s.WebhookSecret, CPUProbes: s.CPUProbes(),
		Rate: 20, Duration: time.Second, Recipients: 5, Drain: 20 * time.Second,
		RedisAddr: env.Addr, Hold: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())
	if rep.Requests.Accepted != 20 || rep.Queued != 100 || rep.Lost != 0 || rep.Webhooks.Unique != 0 || !rep.Settings.Hold {
		t.Errorf("accepted %d, queued %d, lost %d, webhooks %d, hold %v", rep.Requests.Accepted, rep.Queued, rep.Lost, rep.Webhooks.Unique, rep.Settings.Hold)
	}
	if rep.Service == nil || rep.Service.SubmitsOK != 0 || rep.Service.PeakQueuePending == 0 {
		t.Errorf("service: %+v", rep.Service)
	}
	if rep.DrainSeconds > 5 {
		t.Errorf("drain %.1fs: a held run awaits no webhook", rep.DrainSeconds)
	}
	checkRedisFigures(t, rep, table.String(), 100, 100)
	if !strings.Contains(table.String(), "queued recipients (held)") || !strings.Contains(table.String(), "B per segment") {
		t.Error("the report does not show the held run's queue and memory")
	}
}
