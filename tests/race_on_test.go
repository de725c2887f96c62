//go:build race

package tests

// raceEnabled reports whether the race detector is on: it slows the
// service several times, so wall-clock bounds meant for a normal build are
// replaced by load-independent ones.
const raceEnabled = true
