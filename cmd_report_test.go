package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fakeReport struct {
	Rate int `json:"rate"`
}

func (r fakeReport) WriteTable(out io.Writer) error {
	_, err := io.WriteString(out, "rate 7\n")
	return err
}

// bench and bench-link print the table and, with -json, write the same
// report as JSON; a failed write names the command.
func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	var out bytes.Buffer
	if err := writeReport(&out, fakeReport{Rate: 7}, path, "bench-link"); err != nil {
		t.Fatal(err)
	}
	var got fakeReport
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &got) != nil || got.Rate != 7 || out.String() != "rate 7\n" {
		t.Fatalf("table %q, json %q (%v)", out.String(), b, err)
	}
	err = writeReport(io.Discard, fakeReport{}, filepath.Join(dir, "missing", "r.json"), "bench-link")
	if err == nil || !strings.HasPrefix(err.Error(), "bench-link: ") {
		t.Fatalf("unwritable -json path: %v, want an error naming bench-link", err)
	}
}
