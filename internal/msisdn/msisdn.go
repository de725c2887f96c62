// Package msisdn holds the one rule for the destination numbers smsbridge
// accepts, shared by POST /sms (api) and customers' CMPP SUBMITs
// (cmppserver).
package msisdn

import "strings"

// Normalize returns the canonical form of a destination number: the
// 11-digit mainland China mobile number, "1", a second digit 3..9 (the
// mobile ranges 13x–19x) and 9 more digits. Surrounding spaces are
// ignored, and a country prefix "+86", "86" or "0086" is removed when 11
// digits starting with "1" follow it. Anything else (other countries,
// fixed lines, 10x–12x service and IoT numbers, separators inside the
// number) is rejected: CMPP Dest_terminal_Id on China Mobile's ISMG
// carries domestic mobile numbers.
func Normalize(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, p := range [...]string{"+86", "0086", "86"} {
		if len(s) == len(p)+11 && strings.HasPrefix(s, p) && s[len(p)] == '1' {
			s = s[len(p):]
			break
		}
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || !AllDigits(s) {
		return "", false
	}
	return s, true
}

// AllDigits reports whether s is non-empty and only ASCII digits.
func AllDigits(s string) bool {
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
