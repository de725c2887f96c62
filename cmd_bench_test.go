package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// A preset sets the defaults of its flags; flags given on the command
// line win whatever their position, and the spawn-only ones (links,
// webhook batch) are set only with -spawn.
func TestBenchPresetResolution(t *testing.T) {
	t.Setenv("REDIS_ADDR", "127.0.0.1:6399")
	parse := func(args ...string) *benchOptions {
		t.Helper()
		o, err := parseBenchArgs(args, io.Discard, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return o
	}

	o := parse("-spawn", "-preset", "otp")
	if c := o.cfg; c.Preset != "otp" || c.Rate != 2000 || c.Recipients != 1 || c.Duration != time.Minute {
		t.Errorf("otp: %+v", c)
	}
	if o.sp.Links != 4 || o.sp.WebhookBatch != 0 {
		t.Errorf("otp spawn: %+v", o.sp)
	}

	// The alias names the preset by its name; explicit flags win, given
	// before or after -preset.
	o = parse("-rate", "10", "-preset", "single", "-duration", "2s")
	if c := o.cfg; c.Preset != "otp" || c.Rate != 10 || c.Duration != 2*time.Second || c.Recipients != 1 {
		t.Errorf("single with -rate 10 -duration 2s: %+v", c)
	}

	o = parse("-spawn", "-preset", "bulk", "-links", "2")
	if c := o.cfg; c.Preset != "bulk" || c.Rate != 150 || c.Recipients != 100 || c.Duration != time.Minute {
		t.Errorf("bulk: %+v", c)
	}
	if o.sp.Links != 2 || o.sp.WebhookBatch != 64 {
		t.Errorf("bulk -links 2: spawn %+v, want links 2 and webhook batch 64", o.sp)
	}
	// Against a running service the spawn-only values are not set (the
	// service's own configuration decides), so -webhook-batch's "needs
	// -spawn" check does not fire.
	o = parse("-preset", "bulk")
	if o.sp.WebhookBatch != 0 || o.cfg.Recipients != 100 {
		t.Errorf("bulk without -spawn: spawn %+v, recipients %d", o.sp, o.cfg.Recipients)
	}

	// No preset: the flags' own defaults, unnamed.
	o = parse()
	if c := o.cfg; c.Preset != "" || c.Rate != 100 || c.Duration != 10*time.Second {
		t.Errorf("no preset: %+v", c)
	}
}

// -redis: default $REDIS_ADDR (then 127.0.0.1:6379), used for both the
// measurement and the spawned service; "off" disables the figures of a
// running service only.
func TestBenchRedisAddress(t *testing.T) {
	t.Setenv("REDIS_ADDR", "127.0.0.1:6399")
	for _, tc := range []struct {
		args      []string
		want      string
		wantSpawn string
	}{
		{nil, "127.0.0.1:6399", "127.0.0.1:6399"},
		{[]string{"-redis", "127.0.0.1:1"}, "127.0.0.1:1", "127.0.0.1:1"},
		{[]string{"-redis", "off"}, "", ""},
		{[]string{"-spawn", "-hold"}, "127.0.0.1:6399", "127.0.0.1:6399"},
	} {
		o, err := parseBenchArgs(tc.args, io.Discard, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if o.cfg.RedisAddr != tc.want || o.sp.RedisAddr != tc.wantSpawn {
			t.Errorf("%v: measured %q, spawn %q; want %q, %q", tc.args, o.cfg.RedisAddr, o.sp.RedisAddr, tc.want, tc.wantSpawn)
		}
	}
	t.Setenv("REDIS_ADDR", "")
	o, err := parseBenchArgs(nil, io.Discard, io.Discard)
	if err != nil || o.cfg.RedisAddr != "127.0.0.1:6379" {
		t.Errorf("no $REDIS_ADDR: %q, %v", o.cfg.RedisAddr, err)
	}
}

// bench refuses flag mixes before it sends or spawns anything, and lists
// its presets on -preset list and -h.
func TestBenchFlagErrorsAndPresetList(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-preset", "nope"}, `-preset "nope": want one of otp, single, bulk`},
		{[]string{"-hold"}, "-hold needs -spawn"},
		{[]string{"-spawn", "-redis", "off"}, "-spawn needs a Redis"},
		{[]string{"-webhook-batch", "8"}, "-webhook-batch needs -spawn"},
	} {
		code, _, stderr := runCLI(append([]string{"bench"}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
	for _, args := range [][]string{{"bench", "-preset", "list"}, {"bench", "-h"}} {
		code, stdout, stderr := runCLI(args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "otp (alias single)") || !strings.Contains(stdout, "-recipients 100") {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want the presets", args, code, stderr, stdout)
		}
	}
	var out bytes.Buffer
	if err := benchCommand(t.Context(), []string{"-preset", "list"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "bulk") {
		t.Errorf("-preset list: %v %q", err, out.String())
	}
}
