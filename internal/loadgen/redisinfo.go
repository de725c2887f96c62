package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisInfo is what the tool reads from a Redis server's INFO at one
// instant: the server's own accounting, covering every client of that
// server (not only the benched service).
type RedisInfo struct {
	// CPUSeconds is used_cpu_user + used_cpu_sys (INFO cpu).
	CPUSeconds float64
	// HasCPU is true when both CPU fields were present.
	HasCPU bool
	// UsedMemory is used_memory in bytes (INFO memory).
	UsedMemory int64
	// HasMemory is true when used_memory was present.
	HasMemory bool
	// Commands is INFO commandstats by command name ("evalsha",
	// "config|resetstat"); commands never called are absent.
	Commands map[string]CommandStat
}

// CommandStat is one cmdstat_<name> line of INFO commandstats.
type CommandStat struct {
	// Calls is calls=; Micros is usec= (time spent executing it).
	Calls  int64
	Micros int64
}

// redisInfoTimeout bounds one INFO call.
const redisInfoTimeout = 5 * time.Second

// ReadRedisInfo sends one INFO cpu memory commandstats to rdb and parses
// the answer. It is the only command the tool sends to the Redis it
// measures.
func ReadRedisInfo(ctx context.Context, rdb *redis.Client) (RedisInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, redisInfoTimeout)
	defer cancel()
	text, err := rdb.Info(ctx, "cpu", "memory", "commandstats").Result()
	if err != nil {
		return RedisInfo{}, fmt.Errorf("INFO: %w", err)
	}
	info, err := ParseRedisInfo(text)
	if err != nil {
		return info, err
	}
	if !info.HasCPU || !info.HasMemory {
		return info, errors.New("INFO: no used_cpu_user/used_cpu_sys or used_memory (Redis 7 or later answers INFO with several sections)")
	}
	return info, nil
}

// ParseRedisInfo parses INFO text ("key:value" lines, "# Section"
// headers). Unknown lines are ignored; a malformed value of a field it
// uses is an error.
func ParseRedisInfo(text string) (RedisInfo, error) {
	info := RedisInfo{Commands: map[string]CommandStat{}}
	var user, sys bool
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		switch {
		case k == "used_cpu_user" || k == "used_cpu_sys":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return info, fmt.Errorf("INFO %s: %w", k, err)
			}
			info.CPUSeconds += f
			user = user || k == "used_cpu_user"
			sys = sys || k == "used_cpu_sys"
		case k == "used_memory":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return info, fmt.Errorf("INFO used_memory: %w", err)
			}
			info.UsedMemory, info.HasMemory = n, true
		case strings.HasPrefix(k, "cmdstat_"):
			st, err := parseCommandStat(v)
			if err != nil {
				return info, fmt.Errorf("INFO %s: %w", k, err)
			}
			info.Commands[strings.TrimPrefix(k, "cmdstat_")] = st
		}
	}
	info.HasCPU = user && sys
	return info, nil
}

// parseCommandStat parses "calls=5,usec=20,usec_per_call=4.00,…".
func parseCommandStat(v string) (CommandStat, error) {
	var st CommandStat
	var calls, usec bool
	for _, field := range strings.Split(v, ",") {
		name, val, _ := strings.Cut(field, "=")
		var dst *int64
		switch name {
		case "calls":
			dst, calls = &st.Calls, true
		case "usec":
			dst, usec = &st.Micros, true
		default:
			continue
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
		*dst = n
	}
	if !calls || !usec {
		return st, fmt.Errorf("%q: no calls= or usec=", v)
	}
	return st, nil
}

// redisCPUSeconds reads used_cpu_user + used_cpu_sys from rdb's INFO cpu
// (the whole server's).
func redisCPUSeconds(rdb *redis.Client) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), redisInfoTimeout)
	defer cancel()
	text, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	info, err := ParseRedisInfo(text)
	if err != nil {
		return 0, err
	}
	if !info.HasCPU {
		return 0, errors.New("INFO cpu: no used_cpu_user/used_cpu_sys")
	}
	return info.CPUSeconds, nil
}
