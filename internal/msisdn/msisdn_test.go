package msisdn

import "testing"

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"13800138000", "13800138000", true},
		{" 13800138000 ", "13800138000", true},
		{"+8613800138000", "13800138000", true},
		{"8613800138000", "13800138000", true},
		{"008619912345678", "19912345678", true},
		{"12800138000", "", false},
		{"1380013800", "", false},
		{"138-0013-8000", "", false},
		{"+8602012345678", "", false},
		{"", "", false},
	} {
		got, ok := Normalize(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if AllDigits("") || AllDigits("12a") || !AllDigits("0123") {
		t.Error("AllDigits")
	}
}
