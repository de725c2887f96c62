package api

import (
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/internal/msisdn"
)

// normalizeNumbers normalizes every number and drops duplicates, keeping the
// first occurrence's position. bad lists the 0-based index (in the input)
// of every invalid number; out is nil when there is one.
func normalizeNumbers(in []string) (out []string, bad []int) {
	out = make([]string, 0, len(in))
	seen := make(map[string]struct{}, len(in))
	for i, raw := range in {
		n, ok := msisdn.Normalize(raw)
		if !ok {
			bad = append(bad, i)
			continue
		}
		if _, dup := seen[n]; dup {
			continue
		}
		seen[n] = struct{}{}
		out = append(out, n)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// invalidNumbersMessage names every bad index, never the numbers:
// "to[2], to[5]: not a mainland mobile number (…)".
func invalidNumbersMessage(bad []int) string {
	var b strings.Builder
	for i, idx := range bad {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("to[")
		b.WriteString(strconv.Itoa(idx))
		b.WriteByte(']')
	}
	b.WriteString(": not a mainland mobile number (11 digits 13x–19x, optionally prefixed by +86, 86 or 0086)")
	return b.String()
}
