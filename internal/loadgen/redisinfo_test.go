package loadgen

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

func TestParseRedisInfo(t *testing.T) {
	text := "# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\nused_cpu_sys_children:9.0\r\n\r\n" +
		"# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n\r\n# Commandstats\r\n" +
		"cmdstat_evalsha:calls=10,usec=700,usec_per_call=70.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_config|resetstat:calls=1,usec=9,usec_per_call=9.00,rejected_calls=0,failed_calls=0\r\n"
	info, err := ParseRedisInfo(text)
	if err != nil {
		t.Fatal(err)
	}
	if !info.HasCPU || info.CPUSeconds != 3.75 || !info.HasMemory || info.UsedMemory != 1048576 {
		t.Errorf("info %+v: want CPU 3.75 s (children excluded), used_memory 1048576", info)
	}
	if info.Commands["evalsha"] != (CommandStat{Calls: 10, Micros: 700}) || info.Commands["config|resetstat"].Calls != 1 {
		t.Errorf("commands %+v", info.Commands)
	}
	for _, bad := range []string{"used_cpu_user:x\n", "used_memory:1.5\n", "cmdstat_get:calls=1\n", "cmdstat_get:calls=a,usec=1\n"} {
		if _, err := ParseRedisInfo(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if info, err := ParseRedisInfo("used_cpu_user:1\n"); err != nil || info.HasCPU || info.HasMemory {
		t.Errorf("half a CPU section: %+v, %v; want HasCPU false", info, err)
	}
}

// The figures come from a real server's INFO: the commands a client sends
// between two readings are in the difference, scripts apart from the rest.
func TestRedisFiguresFromRealRedis(t *testing.T) {
	env := testenv.Redis(t)
	if !env.Real {
		t.Skip("miniredis has no INFO cpu/commandstats")
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: env.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	a, err := ReadRedisInfo(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	key := env.Prefix + ":figures"
	for range 4 {
		if err := rdb.Set(ctx, key, strings.Repeat("x", 100), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Eval(ctx, "return redis.call('GET', KEYS[1])", []string{key}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	b, err := ReadRedisInfo(ctx, rdb)
	if err != nil {
		t.Fatal(err)
	}
	f := redisFigures(env.Addr, a, b, 1, 2, 4)
	// Other clients share the server: at least what this test sent.
	cmds := map[string]CommandFigures{}
	for _, c := range f.Commands {
		cmds[c.Name] = c
	}
	scripts := map[string]CommandFigures{}
	for _, c := range f.Scripts {
		scripts[c.Name] = c
	}
	if cmds["set"].Calls < 4 || cmds["get"].Calls < 1 || cmds["del"].Calls < 1 || scripts["eval"].Calls < 1 {
		t.Errorf("commands %+v scripts %+v: want ≥ 4 set, ≥ 1 get (inside the script), del and eval", f.Commands, f.Scripts)
	}
	if _, ok := cmds["eval"]; ok {
		t.Error("eval listed with the commands, want it with the scripts")
	}
	if c := cmds["set"]; c.CallsPerMessage != float64(c.Calls)/2 {
		t.Errorf("set %+v: calls per message over 2 messages", c)
	}
	if f.CommandsTotal.Calls < 6 || f.CPUSeconds < 0 || f.UsedMemoryStart <= 0 || f.UsedMemoryEnd <= 0 || f.Scope != RedisScope {
		t.Errorf("figures %+v", f)
	}
	if cpu, err := redisCPUSeconds(rdb); err != nil || cpu < b.CPUSeconds {
		t.Errorf("redisCPUSeconds %v, %v: want ≥ %v", cpu, err, b.CPUSeconds)
	}
}

// Per message, per segment, sorting and totals of two synthetic readings.
func TestRedisFiguresArithmetic(t *testing.T) {
	a := RedisInfo{CPUSeconds: 10, UsedMemory: 1000, Commands: map[string]CommandStat{
		"hset": {Calls: 100, Micros: 1000}, "evalsha": {Calls: 5, Micros: 500}, "ping": {Calls: 7, Micros: 7},
	}}
	b := RedisInfo{CPUSeconds: 10.5, UsedMemory: 5000, Commands: map[string]CommandStat{
		"hset": {Calls: 140, Micros: 1400}, "evalsha": {Calls: 25, Micros: 2500}, "ping": {Calls: 7, Micros: 7},
		"get": {Calls: 60, Micros: 600}, "zadd": {Calls: 20, Micros: 600},
	}}
	f := redisFigures("r", a, b, 2, 20, 40)
	if f.CPUSeconds != 0.5 || f.CPUCores != 0.25 || f.CPUMicrosPerMessage != 25000 || f.CPUMicrosPerSegment != 12500 {
		t.Errorf("CPU %+v", f)
	}
	if f.MemoryBytesPerSegment != 100 {
		t.Errorf("memory per segment %v, want 100", f.MemoryBytesPerSegment)
	}
	var names []string
	for _, c := range f.Commands {
		names = append(names, c.Name)
	}
	// Most µs first, then most calls; ping was not called in the window.
	if strings.Join(names, ",") != "get,zadd,hset" {
		t.Errorf("commands %v", names)
	}
	if f.CommandsTotal.Calls != 120 || f.CommandsTotal.CallsPerMessage != 6 || f.CommandsTotal.MicrosPerMessage != 80 {
		t.Errorf("total %+v", f.CommandsTotal)
	}
	if len(f.Scripts) != 1 || f.ScriptsTotal.Calls != 20 || f.ScriptsTotal.CallsPerMessage != 1 || f.ScriptsTotal.MicrosPerMessage != 100 {
		t.Errorf("scripts %+v total %+v", f.Scripts, f.ScriptsTotal)
	}
	if z := redisFigures("r", a, b, 2, 0, 0); z.CPUMicrosPerMessage != 0 || z.CommandsTotal.CallsPerMessage != 0 {
		t.Errorf("no messages: %+v", z)
	}
}
