package cmpp

import (
	"context"
	"strings"
	"testing"
	"time"
)

// LinkConfig.Validate names every invalid field, and Dial refuses the
// same settings before it dials.
func TestLinkConfigValidate(t *testing.T) {
	ok := LinkConfig{Addr: "127.0.0.1:7890", SPID: "900001"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	bad := LinkConfig{Addr: "nowhere", SPID: "1234567", Version: 0x40, Window: MaxWindow + 1,
		Transmissions: -1, ResponseTimeout: -time.Second}
	err := bad.Validate()
	for _, want := range []string{"LinkConfig.Addr: not host:port", "LinkConfig.SPID: longer than 6 bytes",
		"LinkConfig.Version", "LinkConfig.Window", "LinkConfig.Transmissions", "LinkConfig.ResponseTimeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %q", err, want)
		}
	}
	if neg := (LinkConfig{Addr: "127.0.0.1:7890", SPID: "900001", FlushDelay: -1}).Validate(); neg != nil {
		t.Errorf("negative FlushDelay (write at once): %v", neg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := Dial(ctx, LinkConfig{Addr: "127.0.0.1:7890", SPID: "900001", Window: -1}); err == nil ||
		!strings.Contains(err.Error(), "LinkConfig.Window") {
		t.Errorf("Dial with Window -1: %v", err)
	}
}
