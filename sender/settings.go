package sender

import (
	"errors"
	"reflect"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
)

// Settings configures one channel. Zero values take the documented
// defaults.
type Settings struct {
	// Name is the channel name (the store's queue name).
	Name string
	// Link configures each CMPP link: address, account, version, window,
	// T, N and keep-alive. DeliverHandler is set by the channel.
	Link cmpp.LinkConfig
	// Links is the number of links in the pool. Default 2.
	Links int
	// MsgSrc, SrcID, ServiceID, FeeType, FeeCode and FeeUserType fill the
	// SUBMIT fields of the same names; SrcID is followed by the request's
	// extension digits.
	MsgSrc, SrcID, ServiceID, FeeType, FeeCode string
	FeeUserType                                uint8
	// MaxSubmitsPerSec is the channel's rate across every replica; 0 means
	// unlimited. After Result 8 an adaptive rate below it applies until
	// the ISMG accepts again (see flowControl).
	MaxSubmitsPerSec int
	// FlowControlTimeout is how long a Result 8 storm (Result 8 answers
	// with no SUBMIT of the channel accepted in between) may last before
	// the segments answered Result 8 fail with "flow_control"; until then
	// they are sent again while the channel's adaptive rate is cut.
	// Default 10m.
	FlowControlTimeout time.Duration
	// FlowControlBackoff is the first wait after a Result 8; it doubles
	// up to FlowControlMaxBackoff, with jitter (a draw in [d/2, d]) so a
	// burst of Result 8s does not come back at once. Defaults 50ms and 2s.
	FlowControlBackoff, FlowControlMaxBackoff time.Duration
	// LinkLossRetries caps how many leases a segment may use when its
	// link keeps dropping mid-SUBMIT before it becomes final 'unknown'
	// (error code link_lost). Default 40. Leases count every attempt, so
	// Result 8 resends and crash recoveries count too.
	LinkLossRetries int
	// LinkLossBackoff is the first wait before resending after a lost
	// link; it doubles up to LinkLossMaxBackoff, jittered the same way.
	// Defaults 100ms and 5s.
	LinkLossBackoff, LinkLossMaxBackoff time.Duration
	// ReconnectBackoff and ReconnectMaxBackoff bound the wait between
	// login attempts (jittered). Defaults 500ms and 30s.
	ReconnectBackoff, ReconnectMaxBackoff time.Duration
	// LeaseBatch is the most jobs taken in one Lease call. Default 64.
	LeaseBatch int
	// IdlePoll is the longest wait between polls of an empty queue
	// (polling backs off from 1ms to it); Deps.Wake wakes the poller early.
	// Default 100ms.
	IdlePoll time.Duration
	// MaxLinks is the account's limit of logged-in links across every
	// replica (channels[].max_links): each link holds a slot from Redis,
	// shared fairly by the live replicas (see linkSlots). 0 = no cluster
	// limit: each replica runs Links links.
	MaxLinks int
	// SlotLease is how long a link slot, and a replica's liveness, lasts
	// without a renewal (renewed every SlotLease/3): a crashed replica's
	// slots return within it. Default DefaultSlotLease (15s).
	SlotLease time.Duration
	// DrainTimeout bounds the graceful stop: waiting for in-flight
	// responses and TERMINATE. Default 10s.
	DrainTimeout time.Duration
}

// DefaultFlowControlTimeout is the default of Settings.FlowControlTimeout
// (and of queue.flow_control_timeout).
const DefaultFlowControlTimeout = 10 * time.Minute

func (s Settings) withDefaults() (Settings, error) {
	if s.Name == "" {
		return s, errors.New("sender: channel name required")
	}
	def := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	defInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	defInt(&s.Links, 2)
	def(&s.FlowControlTimeout, DefaultFlowControlTimeout)
	defInt(&s.LinkLossRetries, 40)
	def(&s.LinkLossBackoff, 100*time.Millisecond)
	def(&s.LinkLossMaxBackoff, 5*time.Second)
	defInt(&s.LeaseBatch, 64)
	defInt(&s.Link.Window, cmpp.DefaultWindow)
	// The DeliverHandler waits for a batched store round trip: one worker
	// per window slot lets a link's whole DELIVER window share that round
	// trip.
	defInt(&s.Link.DeliverWorkers, s.Link.Window)
	// The link applies this default too, but the drain bounds its Close
	// by it: left zero, the Close context would be over before it began
	// and the link would be dropped without TERMINATE.
	def(&s.Link.ResponseTimeout, cmpp.DefaultResponseTimeout)
	def(&s.FlowControlBackoff, 50*time.Millisecond)
	def(&s.FlowControlMaxBackoff, 2*time.Second)
	def(&s.ReconnectBackoff, 500*time.Millisecond)
	def(&s.ReconnectMaxBackoff, 30*time.Second)
	def(&s.IdlePoll, 100*time.Millisecond)
	def(&s.DrainTimeout, 10*time.Second)
	def(&s.SlotLease, DefaultSlotLease)
	if s.MaxLinks < 0 {
		return s, errors.New("sender: MaxLinks must not be negative")
	}
	if s.MsgSrc == "" {
		s.MsgSrc = s.Link.SPID
	}
	return s, nil
}

// Equal reports whether s and o configure a channel the same way once
// their defaults are filled in, so that a caller holding new settings can
// tell whether the running channel must be replaced (Service.Replace).
// Link.Logger, Link.DeliverHandler and Link.Now are not compared: they
// carry no setting of the account. Settings that do not validate are
// compared as given.
func (s Settings) Equal(o Settings) bool {
	norm := func(x Settings) Settings {
		if d, err := x.withDefaults(); err == nil {
			x = d
		}
		x.Link.Logger, x.Link.DeliverHandler, x.Link.Now = zerolog.Logger{}, nil, nil
		return x
	}
	return reflect.DeepEqual(norm(s), norm(o))
}
