package carrier

import (
	"strings"
	"testing"
)

func TestParseCSVLine(t *testing.T) {
	good := map[string][2]string{
		"13800138000,cucc":          {"13800138000", CUCC},
		" +8613800138000 , CTCC \r": {"13800138000", CTCC},
		`"8613800138000","cbn"`:     {"13800138000", CBN},
		"19200000000,cmcc":          {"19200000000", CMCC},
	}
	for line, want := range good {
		n, c, err := ParseCSVLine(line)
		if err != nil || n != want[0] || c != want[1] {
			t.Errorf("ParseCSVLine(%q) = %q %q %v, want %q", line, n, c, err, want)
		}
	}
	for _, line := range []string{"", "13800138000", "13800138000,cucc,x", "1380013800,cucc", "12800138000,cucc",
		"13800138000,", "13800138000,unicom", ",cucc", "13800138000;cucc", strings.Repeat("1", 200) + ",cucc"} {
		if _, _, err := ParseCSVLine(line); err == nil {
			t.Errorf("ParseCSVLine(%q) accepted", line)
		} else if strings.Contains(err.Error(), "13800138000") {
			t.Errorf("error names the number: %v", err)
		}
	}
	for line, want := range map[string]bool{"number,carrier": true, " \"Number\" , Carrier\r": true, "13800138000,cucc": false, "number": false} {
		if IsCSVHeader(line) != want {
			t.Errorf("IsCSVHeader(%q) != %v", line, want)
		}
	}
}

// FuzzParseCSVLine: the parser never panics, and what it accepts is a
// normalized 11-digit mobile number and a valid code that parse again to
// themselves.
func FuzzParseCSVLine(f *testing.F) {
	for _, s := range []string{"13800138000,cucc", "+8613800138000, CTCC\r", `"13800138000","cbn"`, "number,carrier",
		"", ",", "1380013800,cucc", "13800138000,cucc,", "\"\",\"\"", "0086138001380001,cmcc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		n, c, err := ParseCSVLine(line)
		if err != nil {
			return
		}
		if len(n) != 11 || n[0] != '1' || n[1] < '3' || !Valid(c) {
			t.Fatalf("ParseCSVLine(%q) accepted %q %q", line, n, c)
		}
		if n2, c2, err := ParseCSVLine(n + "," + c); err != nil || n2 != n || c2 != c {
			t.Fatalf("round trip of %q: %q %q %v", line, n2, c2, err)
		}
	})
}
