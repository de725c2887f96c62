package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startToolProfile starts a CPU profile of this process into path and
// returns the function that stops it and closes the file (a no-op without
// a path).
func startToolProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: -tool-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("bench: -tool-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
