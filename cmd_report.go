package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// benchReport is a load test's report: a table for people, JSON for tools.
type benchReport interface {
	WriteTable(out io.Writer) error
}

// writeReport prints rep as a table to stdout and, when jsonPath is set,
// writes it as indented JSON there; errors name the command cmd.
func writeReport(stdout io.Writer, rep benchReport, jsonPath, cmd string) error {
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if jsonPath == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}
