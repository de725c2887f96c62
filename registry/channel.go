package registry

import (
	"slices"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// Channel is one operator (ISMG) account: an item of config.yaml
// channels[], the body of the admin channel routes, and the record kept in
// Redis. Its defaults are applied by FillDefaults.
type Channel struct {
	// Name identifies the channel in requests ("channel") and metrics:
	// 1-32 characters a-z, 0-9, '_', '-', starting with a letter or digit.
	Name string `yaml:"name" json:"name"`
	// Addr is the ISMG host:port (long connections usually use 7890).
	Addr string `yaml:"addr" json:"addr"`
	// Version is "2.0", "2.1" or "3.0". Default "3.0".
	Version string `yaml:"version" json:"version"`
	// SPID is the login account (Source_Addr), at most 6 characters.
	SPID string `yaml:"sp_id" json:"sp_id"`
	// Secret is the shared secret. Required; never returned by the API.
	Secret string `yaml:"secret" json:"secret"`
	// MsgSrc is the SUBMIT Msg_src (enterprise code). Default SPID.
	MsgSrc string `yaml:"msg_src" json:"msg_src"`
	// SrcID is the service code (Src_Id) extensions are appended to.
	SrcID string `yaml:"src_id" json:"src_id"`
	// ServiceID is the SUBMIT Service_Id. Default "".
	ServiceID string `yaml:"service_id" json:"service_id"`
	// FeeType, FeeCode and FeeUserType fill the fee fields. Defaults
	// "01", "000000", 2 (the SP pays).
	FeeType     string `yaml:"fee_type" json:"fee_type"`
	FeeCode     string `yaml:"fee_code" json:"fee_code"`
	FeeUserType *uint8 `yaml:"fee_user_type" json:"fee_user_type"`
	// Links is the number of TCP connections in the pool. Default 2.
	// Numbers and durations take their defaults only when left out; an
	// explicit 0 is an error (flush_delay excepted).
	Links int `yaml:"links" json:"links"`
	// MaxLinks is the account's limit of logged-in links across every
	// replica (the operator's contract): replicas take link slots from
	// Redis and share them fairly. 0 = no cluster limit (each replica
	// runs Links links). Default 0.
	MaxLinks int `yaml:"max_links" json:"max_links"`
	// Window is the sliding window per link. Default 16.
	Window int `yaml:"window" json:"window"`
	// MaxSubmitsPerSec is the contracted rate across all replicas;
	// 0 = unlimited. Default 0.
	MaxSubmitsPerSec int `yaml:"max_submits_per_sec" json:"max_submits_per_sec"`
	// ResponseTimeout (T) and Transmissions (N). Defaults 60s and 3.
	ResponseTimeout Duration `yaml:"response_timeout" json:"response_timeout"`
	Transmissions   int      `yaml:"transmissions" json:"transmissions"`
	// IdleInterval is the silence before ACTIVE_TEST. Default 30s.
	IdleInterval Duration `yaml:"idle_interval" json:"idle_interval"`
	// ConnectTimeout bounds dial + login. Default 10s.
	ConnectTimeout Duration `yaml:"connect_timeout" json:"connect_timeout"`
	// FlushDelay is how long a link may hold the frames it has buffered
	// for more to share one socket write (never while its window is
	// full). At most 100ms; 0 = the default 500µs; negative writes at
	// once.
	FlushDelay Duration `yaml:"flush_delay" json:"flush_delay"`
	// Carriers are the carriers this account reaches ("cmcc", "cucc",
	// "ctcc", "cbn"; several for an aggregator). Empty: every carrier.
	Carriers []string `yaml:"carriers" json:"carriers"`
	// Failover says when the channel counts as failed, so that its
	// traffic goes to the next channel group of the tenants' routes (see
	// ChannelFailover).
	Failover ChannelFailover `yaml:"failover" json:"failover"`

	// State is kept by the registry, never read from config.yaml.
	State ChannelState `yaml:"-" json:"state"`
}

// ChannelState is what the registry knows of a channel beyond its
// settings.
type ChannelState struct {
	// ManagedBy is ManagedByConfig or ManagedByAPI.
	ManagedBy string `json:"managed_by"`
	// CreatedAt and UpdatedAt are set by the registry.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// DeletedAt, when set, marks a deleted channel: its links are
	// stopped, and it is kept (queued segments stay queued, reports and
	// webhooks of its slot are still processed) until it returns (created
	// again under the same name) or its queue is moved or failed.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// Who manages an account.
const (
	// ManagedByConfig marks accounts imported from config.yaml: read-only
	// through the admin API, replaced at every start.
	ManagedByConfig = "config"
	// ManagedByAPI marks accounts created through the admin API.
	ManagedByAPI = "api"
)

// Deleted reports whether the channel was deleted (see ChannelState).
func (ch *Channel) Deleted() bool { return ch.State.DeletedAt != nil }

// CMPPVersion returns the protocol version of the channel (0 for a
// version string Validate refuses).
func (ch *Channel) CMPPVersion() cmpp.Version {
	switch ch.Version {
	case "2.0":
		return cmpp.V20
	case "2.1":
		return cmpp.V21
	case "3.0":
		return cmpp.V30
	}
	return 0
}

// LinkConfig returns the CMPP link settings of the channel (without its
// handler, logger and dialer, which the sender adds).
func (ch *Channel) LinkConfig() cmpp.LinkConfig {
	return cmpp.LinkConfig{
		Addr: ch.Addr, SPID: ch.SPID, Secret: ch.Secret, Version: ch.CMPPVersion(),
		ConnectTimeout: ch.ConnectTimeout.D(), Window: ch.Window,
		ResponseTimeout: ch.ResponseTimeout.D(), Transmissions: ch.Transmissions,
		IdleInterval: ch.IdleInterval.D(), FlushDelay: ch.FlushDelay.D(),
	}
}

// Reaches reports whether the channel reaches carrier: true when it
// declares no carriers (every carrier) or when carrier is "" (unknown:
// the operator decides).
func (ch *Channel) Reaches(carrier string) bool {
	return carrier == "" || len(ch.Carriers) == 0 || slices.Contains(ch.Carriers, carrier)
}
