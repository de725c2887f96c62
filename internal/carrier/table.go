package carrier

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/smsbridge/smsbridge/internal/msisdn"
)

// rangesTSV is the shipped number-range table (data/ranges.tsv: its header
// states the source, the date and how to update it).
//
//go:embed data/ranges.tsv
var rangesTSV []byte

// Prefix lengths a range (shipped or configured) may have.
const (
	// MinPrefixLen is the shortest prefix: "13".."19" and one more digit.
	MinPrefixLen = 3
	// MaxPrefixLen is the longest prefix an override may name.
	MaxPrefixLen = 7
)

// Table maps number prefixes to carriers; the longest matching prefix
// wins. It is immutable once built and safe for concurrent use.
type Table struct {
	prefixes map[string]string
}

var (
	shippedOnce  sync.Once
	shippedTable *Table
)

// Shipped returns the table embedded in the binary (data/ranges.tsv). The
// file is checked by the package's tests; a broken one panics here.
func Shipped() *Table {
	shippedOnce.Do(func() {
		t, err := ParseTable(bytes.NewReader(rangesTSV))
		if err != nil {
			panic("carrier: the embedded data/ranges.tsv: " + err.Error())
		}
		shippedTable = t
	})
	return shippedTable
}

// ParseTable reads a table in the format of data/ranges.tsv: lines
// "<prefix><TAB><carrier>" with an optional "<TAB># note"; blank lines and
// lines starting with '#' are skipped. A bad line or a prefix listed twice
// is an error naming the line.
func ParseTable(r io.Reader) (*Table, error) {
	t := &Table{prefixes: map[string]string{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want <prefix> <carrier>", n)
		}
		if err := CheckPrefix(f[0]); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if !Valid(f[1]) {
			return nil, fmt.Errorf("line %d: unknown carrier %q", n, f[1])
		}
		if _, dup := t.prefixes[f[0]]; dup {
			return nil, fmt.Errorf("line %d: prefix %s listed twice", n, f[0])
		}
		t.prefixes[f[0]] = f[1]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// CheckPrefix returns an error unless p is MinPrefixLen..MaxPrefixLen
// digits starting "13".."19" (the mobile ranges msisdn.Normalize accepts).
func CheckPrefix(p string) error {
	if len(p) < MinPrefixLen || len(p) > MaxPrefixLen || !msisdn.AllDigits(p) {
		return fmt.Errorf("prefix %q: want %d..%d digits", p, MinPrefixLen, MaxPrefixLen)
	}
	if p[0] != '1' || p[1] < '3' {
		return fmt.Errorf("prefix %q: mobile numbers start 13..19", p)
	}
	return nil
}

// With returns a copy of t where overrides (prefix → carrier, already
// checked with CheckPrefix and Valid) replace or add entries. t is left
// unchanged.
func (t *Table) With(overrides map[string]string) *Table {
	out := &Table{prefixes: make(map[string]string, len(t.prefixes)+len(overrides))}
	for p, c := range t.prefixes {
		out.prefixes[p] = c
	}
	for p, c := range overrides {
		out.prefixes[p] = c
	}
	return out
}

// Lookup returns the carrier of number by its longest listed prefix, or
// Unknown ("").
func (t *Table) Lookup(number string) string {
	for l := min(len(number), MaxPrefixLen); l >= MinPrefixLen; l-- {
		if c, ok := t.prefixes[number[:l]]; ok {
			return c
		}
	}
	return Unknown
}

// Len is the number of prefixes listed.
func (t *Table) Len() int { return len(t.prefixes) }
