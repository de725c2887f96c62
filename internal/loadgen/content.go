package loadgen

import (
	"fmt"
	"strconv"
	"strings"
)

// ASCII segment sizes of the API's splitter (see openapi.yaml, POST /sms
// "Segments"): one message holds 140 characters, a long one is cut into
// segments of 134.
const (
	asciiSingle  = 140
	asciiSegment = 134
)

// ContentForSegments returns printable ASCII text that the service splits
// into exactly n segments (n ≥ 1, no signature reserve, 8-bit UDH
// reference).
func ContentForSegments(n int) (string, error) {
	if n < 1 {
		return "", fmt.Errorf("segments: %d, want at least 1", n)
	}
	size := asciiSingle - 20
	if n > 1 {
		size = asciiSegment*n - 10
	}
	const words = "smsbridge load test message 0123456789 "
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(words)
	}
	return b.String()[:size], nil
}

// firstNumber is the first generated recipient; numbers run through the
// 10^8 numbers starting with 138.
const (
	firstNumber  = 13800000000
	numberBlock  = 100_000_000
	maxRecipient = 1000
)

// recipientNumber returns recipient j of request i when every request has
// perRequest recipients: distinct within a request (perRequest ≤ 1000).
func recipientNumber(i int64, j, perRequest int) uint64 {
	return firstNumber + uint64((i*int64(perRequest)+int64(j))%numberBlock)
}

// appendNumber appends the decimal digits of a recipient number.
func appendNumber(b []byte, n uint64) []byte { return strconv.AppendUint(b, n, 10) }
