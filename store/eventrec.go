package store

import (
	"errors"
	"strconv"
	"strings"
)

// An event record is how an event is stored (lua/lib.lua new_event): one
// string instead of the previous version's hash of a dozen fields, so that
// creating an event costs no command of its own (the record waits in the
// ready list) and leasing it one MSET per batch. Format: "~", then for
// each field its name (letters a-z), the byte length of its value in
// decimal, ":" and the value, which may hold any byte ("|", NUL, invalid
// UTF-8). Field names and meanings are those of the previous hash (see
// decodeEvent), so both decode through the same map.

// errEventRecord is the error of a value that is not an event record.
var errEventRecord = errors.New("store: malformed event record")

// decodeEventRecord returns the fields of record s. On a malformed record
// it returns the fields read before the fault and errEventRecord.
func decodeEventRecord(s string) (map[string]string, error) {
	m := make(map[string]string, 16)
	if !strings.HasPrefix(s, "~") {
		return m, errEventRecord
	}
	s = s[1:]
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
			i++
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if i == 0 || j == i || j-i > 9 || j >= len(s) || s[j] != ':' {
			return m, errEventRecord
		}
		n, _ := strconv.Atoi(s[i:j]) // at most 9 digits: cannot fail
		if n > len(s)-j-1 {
			return m, errEventRecord
		}
		m[s[:i]] = s[j+1 : j+1+n]
		s = s[j+1+n:]
	}
	return m, nil
}

// encodeEventRecord is the record of the fields named in names, in that
// order (as lua/lib.lua ev_encode writes it); names must be letters a-z.
func encodeEventRecord(names []string, fields map[string]string) string {
	var b strings.Builder
	b.WriteByte('~')
	for _, k := range names {
		v, ok := fields[k]
		if !ok {
			continue
		}
		b.WriteString(k)
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String()
}
