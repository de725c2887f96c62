// Command genlua writes store/lua/schema.lua from store/internal/schema
// (run by `go generate ./store/`).
//
// Usage: genlua <output file>
package main

import (
	"fmt"
	"os"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genlua <output file>")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], schema.Lua(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genlua:", err)
		os.Exit(1)
	}
}
