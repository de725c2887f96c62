package cmppserver

import "github.com/prometheus/client_golang/prometheus"

// Login outcomes, the result label of smsbridge_cmpp_logins_total.
const (
	loginOK         = "ok"
	loginBadAccount = "bad_account"
	loginBadAuth    = "bad_auth"
	loginVersion    = "version"
	loginAddress    = "address"
	loginMaxLinks   = "max_links"
	loginBlocked    = "blocked"
	loginDisabled   = "disabled"
)

// registerFrontMetrics creates and registers the links gauge and the
// logins counter on reg (nil: not registered).
func (f *front) registerFrontMetrics(reg prometheus.Registerer) error {
	f.linksGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "smsbridge_cmpp_links",
		Help: "Logged-in customer CMPP links on this replica, by account.",
	}, []string{"account"})
	f.logins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "smsbridge_cmpp_logins_total",
		Help: "Customer CMPP logins by result (ok, bad_account, bad_auth, version, address, max_links, blocked, disabled).",
	}, []string{"result"})
	for _, r := range []string{loginOK, loginBadAccount, loginBadAuth, loginVersion, loginAddress, loginMaxLinks, loginBlocked, loginDisabled} {
		f.logins.WithLabelValues(r)
	}
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{f.linksGauge, f.logins} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
