package api

import (
	"strconv"
	"strings"
)

// normalizeNumber returns the canonical form of a destination number: the
// 11-digit mainland China mobile number, "1", a second digit 3..9 (the
// mobile ranges 13x–19x) and 9 more digits. Surrounding spaces are
// ignored, and a country prefix "+86", "86" or "0086" is removed when 11
// digits starting with "1" follow it. Anything else (other countries,
// fixed lines, 10x–12x service and IoT numbers, separators inside the
// number) is rejected: CMPP Dest_terminal_Id on China Mobile's ISMG
// carries domestic mobile numbers.
func normalizeNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, p := range [...]string{"+86", "0086", "86"} {
		if len(s) == len(p)+11 && strings.HasPrefix(s, p) && s[len(p)] == '1' {
			s = s[len(p):]
			break
		}
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || !allDigits(s) {
		return "", false
	}
	return s, true
}

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalizeNumbers normalizes every number and drops duplicates, keeping the
// first occurrence's position. bad lists the 0-based index (in the input)
// of every invalid number; out is nil when there is one.
func normalizeNumbers(in []string) (out []string, bad []int) {
	out = make([]string, 0, len(in))
	seen := make(map[string]struct{}, len(in))
	for i, raw := range in {
		n, ok := normalizeNumber(raw)
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
