package sender

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A report whose Stat is not valid UTF-8 (or any vendor code) must not
// break the metrics call after the report was stored: a panic there left
// the DELIVER unacknowledged and the ISMG resending it.
func TestChannelReportWithOddStatIsAcknowledged(t *testing.T) {
	m := metrics.New()
	r := newRigWith(t, rigOptions{deps: func(d *Deps) { d.Metrics = m }})
	r.sim.SetFaults(ismgsim.Faults{StatOverride: map[string]string{
		"13800130000": "\xff\xfeBAD!!", "13800130001": "MK:0001",
	}})
	r.enqueue(t, "odd", 2, []byte("a"))
	testenv.WaitFor(t, 10*time.Second, "request final", func() bool { return r.status(t, "odd").Status.Final() })
	testenv.WaitFor(t, 10*time.Second, "both reports acknowledged", func() bool {
		return r.sim.Counts()[testSP].ReportsAcked == 2
	})
	if c := r.sim.Counts()[testSP]; c.ReportsResent != 0 {
		t.Fatalf("reports resent %d times: %+v", c.ReportsResent, c)
	}
	if got := reportsByStat(t, m); len(got) != 2 || got["other"] != 1 || got["MK:xxxx"] != 1 {
		t.Errorf("smsbridge_reports_total by stat = %v, want other:1 and MK:xxxx:1", got)
	}
	if rc := r.status(t, "odd").Recipients[1]; rc.ErrorCode != "MK:0001" {
		t.Errorf("recipient 2 error code %q, want the raw Stat MK:0001", rc.ErrorCode)
	}
}

func TestStatLabelIsBounded(t *testing.T) {
	for in, want := range map[string]string{
		"DELIVRD": "DELIVRD", "UNDELIV": "UNDELIV", " EXPIRED": "EXPIRED", "MK:0001": "MK:xxxx",
		"DB:0141": "DB:xxxx", "mk:0001": "other", "\xff\xfe": "other", "": "other", "R:00001": "other",
	} {
		if got := statLabel(in); got != want {
			t.Errorf("statLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// reportsByStat sums smsbridge_reports_total by its stat label.
func reportsByStat(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "smsbridge_reports_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "stat" {
					out[l.GetValue()] += mt.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}
