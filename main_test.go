package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command line args and returns the exit code and output.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Every spelling of "help" lists every subcommand, one line each, on
// stdout and exits 0 (smsbridge -h used to run `serve -h` and exit 1 with
// "Usage of serve:").
func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}, {"help"}, {"help", "help"}, {"help", "-h"}} {
		code, stdout, stderr := runCLI(args...)
		if code != 0 {
			t.Errorf("%v: exit %d, want 0; stderr %q", args, code, stderr)
		}
		if strings.Contains(stdout, "Usage of") {
			t.Errorf("%v: the flag package's usage instead of the command list:\n%s", args, stdout)
		}
		for _, c := range commands() {
			n := 0
			for _, line := range strings.Split(stdout, "\n") {
				if f := strings.Fields(line); len(f) > 0 && f[0] == c.name {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%v: %d lines for %q, want 1:\n%s", args, n, c.name, stdout)
			}
		}
	}
}

// Each subcommand's -h (and help <command>) prints its usage and flags on
// stdout and exits 0 without running the command.
func TestCommandHelpExitsZero(t *testing.T) {
	wantFlags := map[string][]string{
		"serve":       {"-config", "-cpuprofile"},
		"simulator":   {"-config", "-admin", "-log-level", "-cpuprofile"},
		"healthcheck": {"-url", "-timeout"},
		"bench":       {"-rate", "-spawn", "-duration", "-preset", "-redis", "-hold"},
		"bench-link":  {"-duration", "-window", "-sim-binary"},
		"bench-cmpp":  {"-spawn", "-hold", "-upstream", "-duration", "-window", "-links", "-dests", "-ucs2-long", "-addr", "-account", "-secret"},
		"hash-key":    nil,
		"version":     nil,
	}
	for _, c := range commands() {
		if c.name == "help" {
			continue
		}
		flags, ok := wantFlags[c.name]
		if !ok {
			t.Errorf("command %q has no case in this test", c.name)
		}
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			code, stdout, stderr := runCLI(args...)
			if code != 0 || stderr != "" {
				t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", args, code, stderr)
			}
			if !strings.HasPrefix(stdout, "usage: smsbridge "+c.name) {
				t.Errorf("%v: stdout %q does not start with the usage line", args, stdout)
			}
			for _, f := range flags {
				if !strings.Contains(stdout, "  "+f+" ") && !strings.Contains(stdout, "  "+f+"\n") {
					t.Errorf("%v: flag %s not listed:\n%s", args, f, stdout)
				}
			}
		}
	}
}

// Mistakes still fail: an unknown command exits 2, a bad flag or an
// unknown help topic exits 1, with the reason on stderr.
func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"help", "nope"}, 1, `unknown command "nope"`},
		{[]string{"serve", "-bogus"}, 1, "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, 1, `unexpected argument "extra"`},
		{[]string{"version", "extra"}, 1, "usage: smsbridge version"},
		{[]string{"hash-key"}, 1, "usage: smsbridge hash-key"},
	} {
		code, stdout, stderr := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
		if stdout != "" {
			t.Errorf("%v: wrote to stdout: %q", tc.args, stdout)
		}
	}
}

func TestHashKeyAndVersion(t *testing.T) {
	// sha256("demo-key"), the demo tenant's key_sha256 in demo.yaml.
	const demo = "c48a01f49fd0f2cc404bc3cbbc80e91457a3d41bb429a695243de4c61794155c"
	if code, stdout, _ := runCLI("hash-key", "demo-key"); code != 0 || stdout != demo+"\n" {
		t.Errorf("hash-key demo-key: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := runCLI("hash-key", "--", "-k"); code != 0 || len(strings.TrimSpace(stdout)) != 64 {
		t.Errorf("hash-key -- -k: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := runCLI("version"); code != 0 || stdout != "smsbridge "+version+"\n" {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}
