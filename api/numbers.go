package api

import "strings"

// normalizeNumber returns the canonical form of a destination number: the
// 11-digit Chinese mobile number ("1" followed by 10 digits). Surrounding
// spaces are ignored, and a country prefix "+86", "86" or "0086" is removed
// when exactly 11 digits starting with "1" follow it. Anything else (other
// countries, fixed lines, separators inside the number) is rejected: CMPP
// Dest_terminal_Id on China Mobile's ISMG carries domestic mobile numbers.
func normalizeNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, p := range [...]string{"+86", "0086", "86"} {
		if len(s) == len(p)+11 && strings.HasPrefix(s, p) && s[len(p)] == '1' {
			s = s[len(p):]
			break
		}
	}
	if len(s) != 11 || s[0] != '1' || !allDigits(s) {
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
// first occurrence's position. bad is the 0-based index (in the input) of
// the first invalid number, or -1.
func normalizeNumbers(in []string) (out []string, bad int) {
	out = make([]string, 0, len(in))
	seen := make(map[string]struct{}, len(in))
	for i, raw := range in {
		n, ok := normalizeNumber(raw)
		if !ok {
			return nil, i
		}
		if _, dup := seen[n]; dup {
			continue
		}
		seen[n] = struct{}{}
		out = append(out, n)
	}
	return out, -1
}
