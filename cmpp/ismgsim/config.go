package ismgsim

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
)

// Defaults applied by NewServer to zero Config fields.
const (
	// DefaultAddr is the default listen address: a free loopback port.
	DefaultAddr = "127.0.0.1:0"
	// DefaultGatewayID is the default Msg_Id gateway code (Beijing #1, §7).
	DefaultGatewayID = 1001
	// DefaultReportDelay is the default delay before a status report.
	DefaultReportDelay = 100 * time.Millisecond
	// DefaultResponseTimeout is the default T (§9.1) for the simulator's
	// own DELIVERs and ACTIVE_TESTs.
	DefaultResponseTimeout = 60 * time.Second
	// DefaultTransmissions is the default N (§9.1): sends in total.
	DefaultTransmissions = 3
	// DefaultActiveTestInterval is the default idle time before the
	// simulator sends its own ACTIVE_TEST.
	DefaultActiveTestInterval = 60 * time.Second
	// DefaultMaxReceived is the default Config.MaxReceived.
	DefaultMaxReceived = 100_000
	// DeliverWindow is the number of unacknowledged DELIVERs per link (W, §9.1).
	DeliverWindow = 16
	// maxGatewayID is the largest gateway code that fits the 22-bit field.
	maxGatewayID = 1<<22 - 1
)

// Account is one SP account the simulator accepts logins for.
type Account struct {
	// SPID is the login Source_Addr (SP_Id), 1..6 characters.
	SPID string
	// Secret is the shared secret. Never logged; masked by GET /accounts.
	Secret string
	// Version is the highest version accepted; a CONNECT asking for a
	// higher one gets Status 4. 0 accepts 2.x and 3.0.
	Version cmpp.Version
	// MaxLinks caps concurrent logged-in links; a login beyond it gets
	// Status 5. 0 = unlimited.
	MaxLinks int
	// MaxSubmitsPerSec is the account's rate over all its links (token
	// bucket, burst = one second's worth); over it SUBMIT_RESP carries
	// Result 8. 0 = unlimited.
	MaxSubmitsPerSec int
	// SrcIDPrefix is the service code a SUBMIT Src_Id must start with, else
	// Result 10. "" accepts any Src_Id.
	SrcIDPrefix string
}

// validate checks the fields that cannot be defaulted.
func (a Account) validate() error {
	switch {
	case a.SPID == "":
		return fmt.Errorf("%w: empty sp_id", ErrInvalidAccount)
	case len(a.SPID) > 6:
		return fmt.Errorf("%w: sp_id %q longer than 6 bytes", ErrInvalidAccount, a.SPID)
	case a.Version != 0 && (a.Version < cmpp.V20 || a.Version > cmpp.V30):
		return fmt.Errorf("%w: sp_id %q: version %s not in 2.0..3.0", ErrInvalidAccount, a.SPID, a.Version)
	case a.MaxLinks < 0:
		return fmt.Errorf("%w: sp_id %q: negative max_links", ErrInvalidAccount, a.SPID)
	case a.MaxSubmitsPerSec < 0:
		return fmt.Errorf("%w: sp_id %q: negative max_submits_per_sec", ErrInvalidAccount, a.SPID)
	case len(a.SrcIDPrefix) > 21:
		return fmt.Errorf("%w: sp_id %q: src_id_prefix longer than 21 bytes", ErrInvalidAccount, a.SPID)
	}
	return nil
}

// maxVersion is the highest version the account accepts.
func (a Account) maxVersion() cmpp.Version {
	if a.Version == 0 {
		return cmpp.V30
	}
	return a.Version
}

// StatWeight is one entry of Config.StatMix: Stat is reported with a
// probability proportional to Weight.
type StatWeight struct {
	// Stat is the 7-character report Stat, e.g. "DELIVRD", "UNDELIV", "MK:0001".
	Stat string `json:"stat" yaml:"stat"`
	// Weight is the relative weight, ≥ 0.
	Weight int `json:"weight" yaml:"weight"`
}

// Config configures a Server. Zero values take the documented defaults.
type Config struct {
	// Addr is the listen address. Default "127.0.0.1:0".
	Addr string
	// GatewayID is the Msg_Id gateway code (22 bits). Default 1001.
	GatewayID uint32
	// Accounts are the SP accounts accepted at start; more can be added
	// with AddAccount.
	Accounts []Account
	// ReportDelay is the delay between an accepted SUBMIT and each of its
	// status reports. Default 100ms; negative means no delay.
	ReportDelay time.Duration
	// StatMix is the weighted mix of report Stats. Default: all DELIVRD.
	StatMix []StatWeight
	// ShortReports makes 3.0 links carry 60-byte reports (21-byte
	// Dest_terminal_Id) instead of the 71-byte ones. 2.0 links always
	// carry 60-byte reports.
	ShortReports bool
	// ResponseTimeout is T for the simulator's own DELIVERs and
	// ACTIVE_TESTs, and the time a new connection has to send its CONNECT.
	// Default 60s.
	ResponseTimeout time.Duration
	// Transmissions is N: sends of one DELIVER (on any link) or of
	// consecutive ACTIVE_TESTs in total before the DELIVER is dropped or
	// the link is closed. Default 3.
	Transmissions int
	// ActiveTestInterval is the idle time (nothing received) after which
	// the simulator sends an ACTIVE_TEST. Default 60s; negative disables.
	ActiveTestInterval time.Duration
	// FlushDelay is how long each link's writer may hold the DELIVERs
	// (status reports, MO) that fall due between the SP's requests, for
	// more to share one socket write. It never holds a response: the
	// responses to the requests read together are written together as soon
	// as the read loop has no further whole request buffered. Held DELIVERs
	// leave with the next write of responses, at once when the DELIVER
	// window fills or 16 KiB are queued, else after FlushDelay. Default 0:
	// DELIVERs are written as soon as queued. A few hundred microseconds
	// cut the system calls of steady report traffic (load tests).
	FlushDelay time.Duration
	// MaxReceived bounds the record of received segments (a ring of the
	// most recent ones). Default 100000; negative disables recording.
	MaxReceived int
	// Logger receives the simulator's logs. Default: disabled.
	Logger zerolog.Logger
	// outHighWater overrides the output high-water mark (tests).
	outHighWater int
	// wrapConn, when set, wraps every accepted connection (tests count
	// the writes with it).
	wrapConn func(net.Conn) net.Conn
	// afterHandle, when set, runs on the read loop after each frame of a
	// logged-in link (tests hold the read loop with it).
	afterHandle func()
	// AdminAddr is where Run serves the admin HTTP API ("" = not served).
	// NewServer ignores it.
	AdminAddr string
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.GatewayID == 0 {
		c.GatewayID = DefaultGatewayID
	}
	if c.ReportDelay == 0 {
		c.ReportDelay = DefaultReportDelay
	} else if c.ReportDelay < 0 {
		c.ReportDelay = 0
	}
	if len(c.StatMix) == 0 {
		c.StatMix = []StatWeight{{Stat: "DELIVRD", Weight: 1}}
	}
	if c.ResponseTimeout <= 0 {
		c.ResponseTimeout = DefaultResponseTimeout
	}
	if c.Transmissions <= 0 {
		c.Transmissions = DefaultTransmissions
	}
	if c.ActiveTestInterval == 0 {
		c.ActiveTestInterval = DefaultActiveTestInterval
	}
	if c.MaxReceived == 0 {
		c.MaxReceived = DefaultMaxReceived
	}
	if c.outHighWater <= 0 {
		c.outHighWater = outHighWater
	}
	return c
}

// validate checks a defaulted Config.
func (c Config) validate() error {
	if c.GatewayID > maxGatewayID {
		return fmt.Errorf("%w: gateway_id %d does not fit 22 bits", ErrInvalidConfig, c.GatewayID)
	}
	total := 0
	for _, w := range c.StatMix {
		if w.Weight < 0 {
			return fmt.Errorf("%w: stat_mix %q: negative weight", ErrInvalidConfig, w.Stat)
		}
		if w.Stat == "" || len(w.Stat) > 7 {
			return fmt.Errorf("%w: stat_mix: stat %q must be 1..7 bytes", ErrInvalidConfig, w.Stat)
		}
		total += w.Weight
	}
	if total == 0 {
		return fmt.Errorf("%w: stat_mix weights sum to 0", ErrInvalidConfig)
	}
	seen := make(map[string]bool, len(c.Accounts))
	for _, a := range c.Accounts {
		if err := a.validate(); err != nil {
			return err
		}
		if seen[a.SPID] {
			return fmt.Errorf("%w: %q listed twice", ErrAccountExists, a.SPID)
		}
		seen[a.SPID] = true
	}
	return nil
}

// Sentinel errors of the simulator's API.
var (
	// ErrInvalidConfig means a Config field has an unusable value.
	ErrInvalidConfig = errors.New("ismgsim: invalid config")
	// ErrInvalidAccount means an Account field has an unusable value.
	ErrInvalidAccount = errors.New("ismgsim: invalid account")
	// ErrAccountExists is returned by AddAccount for a known SP_Id.
	ErrAccountExists = errors.New("ismgsim: account exists")
	// ErrUnknownAccount is returned for an SP_Id with no account.
	ErrUnknownAccount = errors.New("ismgsim: unknown account")
	// ErrNoLink is returned by InjectMO when the account has no logged-in link.
	ErrNoLink = errors.New("ismgsim: account has no logged-in link")
	// ErrInvalidMO means an MO cannot be built (empty number, text the
	// encoding cannot carry, …).
	ErrInvalidMO = errors.New("ismgsim: invalid MO")
	// ErrClosed is returned by calls on a closed Server.
	ErrClosed = errors.New("ismgsim: server closed")
)
