package api

import (
	"strconv"
	"unicode/utf8"
)

// MaxEchoBytes bounds how much of a value taken from the request as sent
// (method, path) goes into a log line or an error message: enough to
// recognise it, never enough to let one request write kilobytes.
const MaxEchoBytes = 64

// clip returns s unchanged when it has at most MaxEchoBytes bytes, else
// its first bytes, cut at a character boundary, followed by "…" and the
// full length ("…(+102336 bytes)").
func clip(s string) string {
	if len(s) <= MaxEchoBytes {
		return s
	}
	n := MaxEchoBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// quote is strconv.Quote of clip(s): a value taken from the request, fit
// for a message.
func quote(s string) string { return strconv.Quote(clip(s)) }
