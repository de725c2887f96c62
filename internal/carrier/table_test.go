package carrier

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// The expected carrier of every 3-digit range, written here independently
// of data/ranges.tsv so that the two check each other. A range in none of
// these lists is not allocated for public mobile service (unknown).
var (
	wantCMCC = []int{134, 135, 136, 137, 138, 139, 144, 147, 148, 150, 151, 152, 157, 158, 159,
		165, 172, 178, 182, 183, 184, 187, 188, 195, 197, 198}
	wantCUCC = []int{130, 131, 132, 140, 145, 146, 155, 156, 166, 167, 171, 175, 176, 185, 186, 196}
	wantCTCC = []int{133, 141, 149, 153, 162, 173, 177, 180, 181, 189, 190, 191, 193, 199}
	wantCBN  = []int{192}
	// wantBlocks are the 4-digit blocks carved out of (or into) a 3-digit
	// range: satellite 1349 and 1740, the virtual operators' 170x.
	wantBlocks = map[int]string{
		1349: CTCC,
		1700: CTCC, 1701: CTCC, 1702: CTCC,
		1703: CMCC, 1705: CMCC, 1706: CMCC,
		1704: CUCC, 1707: CUCC, 1708: CUCC, 1709: CUCC,
		1740: CTCC,
	}
	// wantUnknown are the 3-digit ranges with no carrier of their own.
	wantUnknown = []int{142, 143, 154, 160, 161, 163, 164, 168, 169, 170, 174, 179, 194}
)

// expected3 maps each 3-digit range 130..199 to its expected carrier.
func expected3(t *testing.T) map[int]string {
	t.Helper()
	m := map[int]string{}
	add := func(code string, rs []int) {
		for _, r := range rs {
			if old, dup := m[r]; dup {
				t.Fatalf("the expected lists put %d under %q and %q", r, old, code)
			}
			m[r] = code
		}
	}
	add(CMCC, wantCMCC)
	add(CUCC, wantCUCC)
	add(CTCC, wantCTCC)
	add(CBN, wantCBN)
	add(Unknown, wantUnknown)
	for r := 130; r <= 199; r++ {
		if _, ok := m[r]; !ok {
			t.Fatalf("range %d is in no expected list (not even unknown)", r)
		}
	}
	return m
}

// Every 3-digit (130..199) and 4-digit (1300..1999) prefix of the shipped
// table gives the expected carrier, for the prefix itself and for full
// numbers in it.
func TestShippedTableEveryRange(t *testing.T) {
	want3 := expected3(t)
	tab := Shipped()
	for r := 130; r <= 199; r++ {
		p := strconv.Itoa(r)
		if got := tab.Lookup(p); got != want3[r] {
			t.Errorf("range %s: %q, want %q", p, got, want3[r])
		}
		for d := range 10 {
			b := r*10 + d
			want, ok := wantBlocks[b]
			if !ok {
				want = want3[r]
			}
			q := strconv.Itoa(b)
			for _, number := range []string{q + "0000000", q + "1234567", q + "9999999"} {
				if got := tab.Lookup(number); got != want {
					t.Errorf("block %s: number %s is %q, want %q", q, number, got, want)
				}
			}
		}
	}
	// Every range in use has a carrier: the 4-digit blocks of the unknown
	// 3-digit ranges 170 and 174 are the only carriers there.
	if tab.Lookup("17000000000") != CTCC || tab.Lookup("17410000000") != Unknown {
		t.Error("170/174 blocks")
	}
}

// The embedded file parses, and its header states source and date.
func TestShippedTableHeader(t *testing.T) {
	for _, s := range []string{"SOURCE:", "DATE: 2026-", "HOW TO UPDATE:"} {
		if !bytes.Contains(rangesTSV, []byte(s)) {
			t.Errorf("data/ranges.tsv header lacks %q", s)
		}
	}
	if n := Shipped().Len(); n < 60 {
		t.Errorf("shipped table has %d prefixes", n)
	}
}

func TestParseTableRefusesBadLines(t *testing.T) {
	for _, in := range []string{"138\tcmcc\n138\tcucc\n", "12\tcmcc\n", "128\tcmcc\n", "138\tmobile\n", "138\n", "13a\tcmcc\n", "13800000\tcmcc\n"} {
		if _, err := ParseTable(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("ParseTable(%q) = %v, want an error naming the line", in, err)
		}
	}
	tab, err := ParseTable(strings.NewReader("# comment\n\n138\tcmcc\t# note\n1381\tctcc\n"))
	if err != nil || tab.Lookup("13812345678") != CTCC || tab.Lookup("13822345678") != CMCC || tab.Lookup("139") != Unknown {
		t.Fatalf("ParseTable: %v", err)
	}
}

// Overrides win over the shipped table by the longest prefix, and leave
// the shipped table unchanged.
func TestConfigOverrideWins(t *testing.T) {
	c := Config{Ranges: map[string]string{"1700": CMCC, "1380013": CUCC, "154": CBN}}
	c.FillDefaults()
	if err := c.Validate(""); err != nil {
		t.Fatal(err)
	}
	tab := c.Table()
	for number, want := range map[string]string{
		"17001234567": CMCC, "17011234567": CTCC, "13800138000": CUCC, "13800238000": CMCC, "15400000000": CBN,
	} {
		if got := tab.Lookup(number); got != want {
			t.Errorf("%s: %q, want %q", number, got, want)
		}
	}
	if Shipped().Lookup("17001234567") != CTCC || Shipped().Lookup("15400000000") != Unknown {
		t.Error("an override changed the shipped table")
	}
}

func TestCodes(t *testing.T) {
	for _, c := range All {
		if !Valid(c) || Name(c) == "unknown" {
			t.Errorf("code %q", c)
		}
	}
	for _, c := range []string{"", "CMCC", "mobile", "cmcc "} {
		if Valid(c) {
			t.Errorf("Valid(%q)", c)
		}
	}
}
