package main

import (
	"strings"
	"testing"
)

// bench-cmpp refuses flag combinations that cannot mean anything before
// it dials or spawns anything.
func TestBenchCMPPRefusesFlagMixes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-hold"}, "-hold needs -spawn"},
		{[]string{"-upstream"}, "-upstream needs -spawn"},
		{[]string{"-spawn", "-hold", "-upstream"}, "exclude each other"},
		{[]string{"-spawn", "-addr", "127.0.0.1:1"}, "-addr is for a running server"},
		{[]string{"-version", "2.1"}, "want 2.0 or 3.0"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		code, _, stderr := runCLI(append([]string{"bench-cmpp"}, tc.args...)...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
