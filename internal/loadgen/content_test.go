package loadgen

import (
	"testing"
)

func TestContentForSegments(t *testing.T) {
	for n := 1; n <= 10; n++ {
		c, err := ContentForSegments(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range c {
			if r < 0x20 || r > 0x7e {
				t.Fatalf("n=%d: non-printable %q", n, r)
			}
		}
		// The API's rule: ≤140 is one segment, else ceil(len/134).
		got := 1
		if len(c) > asciiSingle {
			got = (len(c) + asciiSegment - 1) / asciiSegment
		}
		if got != n {
			t.Errorf("n=%d: %d characters make %d segments", n, len(c), got)
		}
	}
	if _, err := ContentForSegments(0); err == nil {
		t.Error("0 segments: no error")
	}
}

func TestRecipientNumbersDistinctWithinRequest(t *testing.T) {
	for _, per := range []int{1, 100, 1000} {
		for _, i := range []int64{0, 1, 99_999, 1 << 40} {
			seen := map[uint64]bool{}
			for j := range per {
				n := recipientNumber(i, j, per)
				if n < firstNumber || n >= firstNumber+numberBlock {
					t.Fatalf("number %d outside the 138 block", n)
				}
				if seen[n] {
					t.Fatalf("request %d, %d per request: %d repeated", i, per, n)
				}
				seen[n] = true
			}
		}
	}
}
