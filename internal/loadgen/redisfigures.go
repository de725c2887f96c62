package loadgen

import (
	"cmp"
	"slices"
)

// RedisScope says what the Redis figures cover: INFO is the server's own
// accounting, so every client of the server is in them.
const RedisScope = "whole server (INFO: every client of this Redis, not only the benched service)"

// RedisFigures are the Redis server's own accounting over the window
// (INFO cpu, memory and commandstats at its start and end), per message
// (accepted recipient) and per segment.
type RedisFigures struct {
	// Addr is the server read; Scope says what its figures cover.
	Addr  string `json:"addr"`
	Scope string `json:"scope"`
	// Error is why the figures are missing or partial ("" if read).
	Error string `json:"error,omitempty"`
	// Messages and Segments are the accepted recipients and segments the
	// per-message and per-segment figures divide by.
	Messages int64 `json:"messages"`
	Segments int64 `json:"segments"`
	// CPUSeconds is the increase of used_cpu_user + used_cpu_sys;
	// CPUCores the same per second of the window.
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUCores   float64 `json:"cpu_cores"`
	// CPUMicrosPerMessage and CPUMicrosPerSegment divide CPUSeconds.
	CPUMicrosPerMessage float64 `json:"cpu_us_per_message"`
	CPUMicrosPerSegment float64 `json:"cpu_us_per_segment"`
	// UsedMemoryStart and UsedMemoryEnd are used_memory (bytes) at the
	// window's start and end; MemoryBytesPerSegment is their difference
	// per accepted segment (with -hold: what a queued segment costs).
	UsedMemoryStart       int64   `json:"used_memory_start"`
	UsedMemoryEnd         int64   `json:"used_memory_end"`
	MemoryBytesPerSegment float64 `json:"memory_bytes_per_segment"`
	// Commands is INFO commandstats over the window for every command
	// but the scripts' (top-level and called inside scripts alike),
	// most µs first; CommandsTotal sums them.
	Commands      []CommandFigures `json:"commands"`
	CommandsTotal CommandFigures   `json:"commands_total"`
	// Scripts is the script commands (EVALSHA, EVAL, FCALL, …); their µs
	// include the commands they call, which are also in Commands.
	Scripts      []CommandFigures `json:"scripts"`
	ScriptsTotal CommandFigures   `json:"scripts_total"`
}

// CommandFigures is one command's INFO commandstats over the window.
type CommandFigures struct {
	Name   string `json:"name"`
	Calls  int64  `json:"calls"`
	Micros int64  `json:"usec"`
	// CallsPerMessage and MicrosPerMessage divide by the accepted
	// recipients.
	CallsPerMessage  float64 `json:"calls_per_message"`
	MicrosPerMessage float64 `json:"usec_per_message"`
}

// scriptCommands are the commands that run a script or function.
var scriptCommands = map[string]bool{
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
}

// redisFigures computes the figures from two INFO readings around a
// window of the given seconds in which messages recipients and segments
// segments were accepted.
func redisFigures(addr string, a, b RedisInfo, window float64, messages, segments int64) *RedisFigures {
	f := &RedisFigures{Addr: addr, Scope: RedisScope, Messages: messages, Segments: segments,
		CPUSeconds: b.CPUSeconds - a.CPUSeconds, UsedMemoryStart: a.UsedMemory, UsedMemoryEnd: b.UsedMemory}
	f.CPUCores = perSec(f.CPUSeconds, window)
	f.CPUMicrosPerMessage = perUnit(f.CPUSeconds*1e6, messages)
	f.CPUMicrosPerSegment = perUnit(f.CPUSeconds*1e6, segments)
	f.MemoryBytesPerSegment = perUnit(float64(b.UsedMemory-a.UsedMemory), segments)
	f.Commands, f.Scripts = []CommandFigures{}, []CommandFigures{}
	f.CommandsTotal.Name, f.ScriptsTotal.Name = "all commands", "all scripts"
	for name, end := range b.Commands {
		start := a.Commands[name]
		c := CommandFigures{Name: name, Calls: end.Calls - start.Calls, Micros: end.Micros - start.Micros}
		if c.Calls <= 0 {
			continue // not called in the window (or the stats were reset)
		}
		c.CallsPerMessage = perUnit(float64(c.Calls), messages)
		c.MicrosPerMessage = perUnit(float64(c.Micros), messages)
		list, total := &f.Commands, &f.CommandsTotal
		if scriptCommands[name] {
			list, total = &f.Scripts, &f.ScriptsTotal
		}
		*list = append(*list, c)
		total.Calls += c.Calls
		total.Micros += c.Micros
	}
	for _, t := range []*CommandFigures{&f.CommandsTotal, &f.ScriptsTotal} {
		t.CallsPerMessage = perUnit(float64(t.Calls), messages)
		t.MicrosPerMessage = perUnit(float64(t.Micros), messages)
	}
	byCost := func(x, y CommandFigures) int {
		return cmp.Or(cmp.Compare(y.Micros, x.Micros), cmp.Compare(y.Calls, x.Calls), cmp.Compare(x.Name, y.Name))
	}
	slices.SortFunc(f.Commands, byCost)
	slices.SortFunc(f.Scripts, byCost)
	return f
}

// perUnit is v / n, 0 when n is 0.
func perUnit(v float64, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return v / float64(n)
}

// redisTableRows is how many commands the text report lists.
const redisTableRows = 15

// writeRedisTable writes the REDIS section of the text report.
func writeRedisTable(p func(string, ...any), f *RedisFigures) {
	p("")
	p("REDIS %s\t%s", f.Addr, f.Scope)
	if f.Error != "" {
		p("error\t%s", f.Error)
	}
	if f.Error != "" && f.CommandsTotal.Calls == 0 && f.CPUSeconds == 0 {
		return
	}
	p("CPU\t%.2fs (%.2f cores)", f.CPUSeconds, f.CPUCores)
	p("CPU per message / segment\t%.1f / %.1f µs", f.CPUMicrosPerMessage, f.CPUMicrosPerSegment)
	p("used_memory start → end\t%.1f → %.1f MB (%+.0f B per segment)",
		float64(f.UsedMemoryStart)/1e6, float64(f.UsedMemoryEnd)/1e6, f.MemoryBytesPerSegment)
	p("")
	p("REDIS COMMANDS (per message)\tcalls\tcalls/msg\tµs/msg")
	row := func(c CommandFigures) {
		p("%s\t%d\t%.2f\t%.1f", c.Name, c.Calls, c.CallsPerMessage, c.MicrosPerMessage)
	}
	for i, c := range f.Commands {
		if i == redisTableRows {
			p("… %d more", len(f.Commands)-redisTableRows)
			break
		}
		row(c)
	}
	row(f.CommandsTotal)
	for _, c := range f.Scripts {
		row(c)
	}
	row(f.ScriptsTotal)
	p("(commands include those called inside scripts; a script's µs include its commands')")
}
