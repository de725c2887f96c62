package registry

import "testing"

// channels[].max_links: left out it is 0 (no cluster limit); 0..1000 are
// valid; a negative or larger value is refused naming the key.
func TestChannelMaxLinks(t *testing.T) {
	ch := testChannel("cm1")
	ch.FillDefaults(nil)
	if ch.MaxLinks != 0 {
		t.Fatalf("default max_links %d, want 0", ch.MaxLinks)
	}
	for _, ok := range []int{0, 1, 4, MaxClusterLinks} {
		ch.MaxLinks = ok
		if err := ch.Validate(ValidateOptions{}); err != nil {
			t.Fatalf("max_links %d refused: %v", ok, err)
		}
	}
	for _, bad := range []int{-1, MaxClusterLinks + 1} {
		ch.MaxLinks = bad
		mustInvalid(t, invalid(ch.Validate(ValidateOptions{})), "max_links: must be 0..1000")
	}
}
