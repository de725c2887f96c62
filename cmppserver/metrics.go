package cmppserver

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// backMetrics are the backend's collectors (the links gauge and the logins
// counter are the connection layer's).
type backMetrics struct {
	// submits counts answered SUBMITs by account and Result.
	submits *prometheus.CounterVec
	// waiting is the sampled number of DELIVERs (ready and leased) queued
	// for each CMPP account.
	waiting *prometheus.GaugeVec
	// deliverSeconds observes DELIVER → DELIVER_RESP.
	deliverSeconds prometheus.Histogram
	// delivers counts DELIVER outcomes by account, kind (report, mo) and
	// outcome (acked, released, expired).
	delivers *prometheus.CounterVec
}

// Values of the delivers counter's labels.
const (
	kindReport = "report"
	kindMO     = "mo"
	// kindAny labels expired entries, whose kind is not read back.
	kindAny = "any"

	outcomeAcked    = "acked"
	outcomeReleased = "released"
	outcomeExpired  = "expired"
)

// newBackMetrics creates the collectors and registers them on reg (nil:
// not registered).
func newBackMetrics(reg prometheus.Registerer) (backMetrics, error) {
	m := backMetrics{
		submits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_cmpp_submits_total",
			Help: "Customer CMPP SUBMITs answered, by account and SUBMIT_RESP Result.",
		}, []string{"account", "result"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "smsbridge_cmpp_delivers_waiting",
			Help: "DELIVERs (reports and MO) queued for a customer CMPP account, ready or in flight (sampled).",
		}, []string{"account"}),
		deliverSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "smsbridge_cmpp_deliver_seconds",
			Help:    "Time from a DELIVER to a customer until its DELIVER_RESP.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60},
		}),
		delivers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_cmpp_delivers_total",
			Help: "DELIVERs to customer CMPP accounts by kind (report, mo) and outcome (acked, released back to the queue, expired after the retention).",
		}, []string{"account", "kind", "outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.submits, m.waiting, m.deliverSeconds, m.delivers} {
		if err := reg.Register(c); err != nil {
			return m, err
		}
	}
	return m, nil
}

// submitted counts one answered SUBMIT.
func (m *backMetrics) submitted(account string, result uint32) {
	m.submits.WithLabelValues(account, strconv.FormatUint(uint64(result), 10)).Inc()
}

// registerer is where the backend's collectors go (nil without metrics).
func (s *Server) registerer() prometheus.Registerer {
	if s.deps.Metrics == nil {
		return nil
	}
	return s.deps.Metrics.Registry
}
