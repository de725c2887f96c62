package ismgsim

import (
	"testing"

	"github.com/smsbridge/smsbridge/cmpp"
)

// TestPeakLinks: Counts records the most links logged in at once, which
// stays after they close, and ResetCounts starts it over.
func TestPeakLinks(t *testing.T) {
	s := newTestServer(t, Config{})
	var cs []*rawClient
	for range 3 {
		cs = append(cs, loginRaw(t, s, cmpp.V30))
	}
	if c := s.Counts()[testSPID]; c.Links != 3 || c.PeakLinks != 3 {
		t.Fatalf("links %d peak %d, want 3 3", c.Links, c.PeakLinks)
	}
	for _, c := range cs[:2] {
		_ = c.conn.Close()
	}
	waitFor(t, "two links closed", func() bool { return s.Counts()[testSPID].Links == 1 })
	if p := s.Counts()[testSPID].PeakLinks; p != 3 {
		t.Fatalf("peak %d after closes, want 3", p)
	}
	s.ResetCounts()
	if p := s.Counts()[testSPID].PeakLinks; p != 1 {
		t.Fatalf("peak %d after reset, want the 1 still logged in", p)
	}
	loginRaw(t, s, cmpp.V30)
	if p := s.Counts()[testSPID].PeakLinks; p != 2 {
		t.Fatalf("peak %d, want 2", p)
	}
}
