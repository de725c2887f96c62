package carrier

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smsbridge/smsbridge/internal/msisdn"
)

// MaxCSVLine is the longest line of a portability import accepted.
const MaxCSVLine = 128

// ParseCSVLine reads one line of a portability import: "number,carrier",
// where number is a mainland mobile number in any form msisdn.Normalize
// accepts (returned normalized) and carrier a code of All (any case).
// Spaces around fields, a trailing "\r" and double quotes around a field
// are ignored. The error names the problem, never the number.
func ParseCSVLine(line string) (number, code string, err error) {
	if len(line) > MaxCSVLine {
		return "", "", fmt.Errorf("longer than %d bytes", MaxCSVLine)
	}
	a, b, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ",")
	if !ok || strings.Contains(b, ",") {
		return "", "", errors.New(`want two fields "number,carrier"`)
	}
	number, ok = msisdn.Normalize(unquote(a))
	if !ok {
		return "", "", errors.New("number is not a mainland mobile number (13x-19x, 11 digits)")
	}
	code = strings.ToLower(unquote(b))
	if !Valid(code) {
		return "", "", fmt.Errorf("carrier must be one of %s", strings.Join(All, ", "))
	}
	return number, code, nil
}

// IsCSVHeader reports whether line is the optional header
// "number,carrier" (any case, spaces and quotes ignored).
func IsCSVHeader(line string) bool {
	a, b, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ",")
	return ok && strings.EqualFold(unquote(a), "number") && strings.EqualFold(unquote(b), "carrier")
}

// unquote trims spaces and one pair of surrounding double quotes.
func unquote(f string) string {
	f = strings.TrimSpace(f)
	if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
		f = strings.TrimSpace(f[1 : len(f)-1])
	}
	return f
}
