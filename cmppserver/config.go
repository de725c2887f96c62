package cmppserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/smsbridge/smsbridge/registry"
)

// Config is the cmpp_server section of config.yaml. Its defaults and
// checks are stated here, once (FillDefaults, Validate).
type Config struct {
	// Addr is the listen address; "" turns the CMPP server off.
	Addr string `yaml:"addr"`
	// TLSCertFile and TLSKeyFile, when both set, serve CMPP over TLS.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// GatewayID is the ISMG code in the Msg_Ids smsbridge assigns
	// (PROTOCOL.md §7), 0..4194303.
	GatewayID uint32 `yaml:"gateway_id"`
	// Window is the number of unanswered DELIVERs per customer link.
	Window int `yaml:"window"`
	// ReportResendAfter (T) resends a DELIVER without DELIVER_RESP;
	// ReportResendMax (N) resends per link, after which the entry waits
	// for another link.
	ReportResendAfter registry.Duration `yaml:"report_resend_after"`
	ReportResendMax   int               `yaml:"report_resend_max"`
	// ReportRetention keeps reports and MO for an offline account.
	ReportRetention registry.Duration `yaml:"report_retention"`
	// ActiveTestInterval sends ACTIVE_TEST on an idle link;
	// ActiveTestMissed unanswered ones close it.
	ActiveTestInterval registry.Duration `yaml:"active_test_interval"`
	ActiveTestMissed   int               `yaml:"active_test_missed"`
	// LoginTimeout closes a connection that sends no CONNECT in time.
	LoginTimeout registry.Duration `yaml:"login_timeout"`
	// LoginFailures failed logins from one address within
	// LoginFailureWindow refuse that address until the window ends.
	LoginFailures      int               `yaml:"login_failures"`
	LoginFailureWindow registry.Duration `yaml:"login_failure_window"`
	// LinkLease is the lease of a link's slot in Redis (max_links across
	// replicas): a crashed replica's links are forgotten within it.
	LinkLease registry.Duration `yaml:"link_lease"`
	// SubmitBatchMax and SubmitBatchWait bound the group commit of
	// SUBMITs into the store: at most this many, waiting at most this long.
	SubmitBatchMax  int               `yaml:"submit_batch_max"`
	SubmitBatchWait registry.Duration `yaml:"submit_batch_wait"`
	// ReportPoll is how often an account's queues are read when no wake-up
	// arrives.
	ReportPoll registry.Duration `yaml:"report_poll"`
}

// Enabled reports whether the server listens.
func (c Config) Enabled() bool { return c.Addr != "" }

// The cmpp_server defaults, stated here once.
const (
	DefaultGatewayID          = 1
	DefaultWindow             = 16
	DefaultReportResendAfter  = 60 * time.Second
	DefaultReportResendMax    = 3
	DefaultReportRetention    = 72 * time.Hour
	DefaultActiveTestInterval = 30 * time.Second
	DefaultActiveTestMissed   = 3
	DefaultLoginTimeout       = 10 * time.Second
	DefaultLoginFailures      = 5
	DefaultLoginFailureWindow = time.Minute
	DefaultLinkLease          = 15 * time.Second
	DefaultSubmitBatchMax     = 64
	DefaultSubmitBatchWait    = time.Millisecond
	DefaultReportPoll         = time.Second
)

// Limits that Validate enforces.
const (
	// MaxGatewayID is the largest ISMG code a Msg_Id holds (22 bits, §7).
	MaxGatewayID = 1<<22 - 1
	// MaxWindow bounds the DELIVER window per link.
	MaxWindow = 1024
)

// FillDefaults sets every zero field to its default.
func (c *Config) FillDefaults() {
	setInt := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	setDur := func(p *registry.Duration, d time.Duration) {
		if *p == 0 {
			*p = registry.Duration(d)
		}
	}
	if c.GatewayID == 0 {
		c.GatewayID = DefaultGatewayID
	}
	setInt(&c.Window, DefaultWindow)
	setDur(&c.ReportResendAfter, DefaultReportResendAfter)
	setInt(&c.ReportResendMax, DefaultReportResendMax)
	setDur(&c.ReportRetention, DefaultReportRetention)
	setDur(&c.ActiveTestInterval, DefaultActiveTestInterval)
	setInt(&c.ActiveTestMissed, DefaultActiveTestMissed)
	setDur(&c.LoginTimeout, DefaultLoginTimeout)
	setInt(&c.LoginFailures, DefaultLoginFailures)
	setDur(&c.LoginFailureWindow, DefaultLoginFailureWindow)
	setDur(&c.LinkLease, DefaultLinkLease)
	setInt(&c.SubmitBatchMax, DefaultSubmitBatchMax)
	setDur(&c.SubmitBatchWait, DefaultSubmitBatchWait)
	setDur(&c.ReportPoll, DefaultReportPoll)
}

// Validate checks c (after FillDefaults); errors name the key under path
// (e.g. "cmpp_server.window").
func (c Config) Validate(path string) error {
	if path == "" {
		path = "cmpp_server"
	}
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, key, fmt.Sprintf(format, a...)))
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			bad("addr", "%v", err)
		}
	}
	if c.GatewayID > MaxGatewayID {
		bad("gateway_id", "%d is above %d", c.GatewayID, MaxGatewayID)
	}
	if c.Window < 1 || c.Window > MaxWindow {
		bad("window", "%d is not within 1..%d", c.Window, MaxWindow)
	}
	positive := func(key string, d registry.Duration) {
		if d <= 0 {
			bad(key, "must be positive (got %s)", d.D())
		}
	}
	positive("report_resend_after", c.ReportResendAfter)
	if c.ReportResendMax < 0 {
		bad("report_resend_max", "must be ≥ 0 (got %d)", c.ReportResendMax)
	}
	positive("report_retention", c.ReportRetention)
	positive("active_test_interval", c.ActiveTestInterval)
	if c.ActiveTestMissed < 1 {
		bad("active_test_missed", "must be ≥ 1 (got %d)", c.ActiveTestMissed)
	}
	positive("login_timeout", c.LoginTimeout)
	if c.LoginFailures < 1 {
		bad("login_failures", "must be ≥ 1 (got %d)", c.LoginFailures)
	}
	positive("login_failure_window", c.LoginFailureWindow)
	if c.LinkLease < registry.Duration(time.Second) {
		bad("link_lease", "must be at least 1s (got %s)", c.LinkLease.D())
	}
	if c.SubmitBatchMax < 1 {
		bad("submit_batch_max", "must be ≥ 1 (got %d)", c.SubmitBatchMax)
	}
	if c.SubmitBatchWait < 0 {
		bad("submit_batch_wait", "must be ≥ 0 (got %s)", c.SubmitBatchWait.D())
	}
	positive("report_poll", c.ReportPoll)
	switch {
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		bad("tls_cert_file", "tls_cert_file and tls_key_file must be set together")
	case c.TLSCertFile != "":
		if _, err := c.loadTLS(); err != nil {
			bad("tls_cert_file", "%v", err)
		}
	}
	return errors.Join(errs...)
}

// loadTLS loads the certificate pair (nil when TLS is off).
func (c Config) loadTLS() (*tls.Config, error) {
	if c.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
