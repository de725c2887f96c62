// Command genlua writes store/lua/schema.lua from store/internal/schema
// and the key suffixes of store/keys.go (run by `go generate ./store/`).
//
// Usage: genlua <keys.go> <output file>
package main

import (
	"fmt"
	"os"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: genlua <keys.go> <output file>")
		os.Exit(2)
	}
	keys, err := os.ReadFile(os.Args[1])
	if err == nil {
		var lua []byte
		if lua, err = schema.Lua(keys); err == nil {
			err = os.WriteFile(os.Args[2], lua, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genlua:", err)
		os.Exit(1)
	}
}
