package cmpp

import (
	"context"
	"net"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/fielderr"
)

// Defaults applied by Dial to zero fields of LinkConfig (PROTOCOL.md §9.1,
// with the idle interval shortened as §9.1 recommends for NAT devices).
const (
	// DefaultConnectTimeout bounds dial plus login.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultWindow is W, the requests in flight per link (§9.1).
	DefaultWindow = 16
	// DefaultResponseTimeout is T, the wait for a response (§9.1).
	DefaultResponseTimeout = 60 * time.Second
	// DefaultTransmissions is N, sends per request in total (§9.1).
	DefaultTransmissions = 3
	// DefaultIdleInterval is the silence before an ACTIVE_TEST (C in §9.1
	// is 3 min; 30 s survives NAT devices).
	DefaultIdleInterval = 30 * time.Second
	// DefaultDeliverWorkers is the number of DeliverHandler goroutines.
	DefaultDeliverWorkers = 4
	// DefaultFlushDelay is how long the writer may hold buffered frames
	// for more to share their socket write.
	DefaultFlushDelay = 500 * time.Microsecond
	// MaxWindow is the largest Window: requests in flight per link.
	MaxWindow = 1024
)

// DeliverHandler handles one DELIVER: an MO message (d.RegisteredDelivery
// 0) or a status report (1, decode it with d.Report). It runs on a worker
// goroutine owned by the link, never on the read loop, so a slow handler
// does not delay ACTIVE_TEST answers or SUBMIT responses.
//
// Returning nil acknowledges the DELIVER with DELIVER_RESP Result 0; the
// DELIVER_RESP is written only after the handler has returned. Returning
// an error withholds the DELIVER_RESP: the ISMG will resend the DELIVER
// after its own response timeout (possibly on another link), so a handler
// that cannot store a report or MO right now simply returns an error.
// Handlers must therefore be idempotent: CMPP delivers at least once.
//
// ctx is cancelled when the link goes down; the handler should return
// promptly then (its answer could no longer be sent anyway). A graceful
// Close waits (at most ResponseTimeout) for the handlers of DELIVERs
// already read before it sends TERMINATE, so ctx stays live for them. A panic in the
// handler is recovered, logged and treated like an error.
type DeliverHandler func(ctx context.Context, d *Deliver) error

// LinkConfig configures one SP→ISMG link. Zero values take the documented
// defaults.
type LinkConfig struct {
	// Addr is the ISMG's host:port (usually port 7890). Required.
	Addr string
	// SPID is the login account sent as CONNECT Source_Addr, at most 6
	// characters. Required.
	SPID string
	// Secret is the shared secret used in AuthenticatorSource. It is never
	// logged.
	Secret string
	// Version is the protocol version asked for in CONNECT: V20, V21 or
	// V30. Default V30. The ISMG may answer in another version; see
	// Link.Version.
	Version Version
	// ConnectTimeout bounds the TCP dial plus the CONNECT/CONNECT_RESP
	// exchange. Default 10s.
	ConnectTimeout time.Duration
	// Window is the sliding window W: the most requests (SUBMIT, QUERY,
	// CANCEL) sent and not yet answered. Default 16.
	Window int
	// ResponseTimeout is T: how long to wait for a response before
	// resending the request, and for an ACTIVE_TEST_RESP before counting
	// the probe as unanswered. It also bounds each socket write (to between
	// T and 1.25·T), so a peer that stops reading takes the link down.
	// Default 60s.
	ResponseTimeout time.Duration
	// Transmissions is N: total sends of one request, the first included,
	// before the call fails with ErrResponseTimeout; also the number of
	// consecutive unanswered ACTIVE_TESTs after which the link is declared
	// dead. Default 3.
	Transmissions int
	// IdleInterval is how long the link may read nothing before it sends an
	// ACTIVE_TEST. Default 30s.
	IdleInterval time.Duration
	// DeliverHandler is called for every DELIVER. Nil acknowledges every
	// DELIVER without looking at it.
	DeliverHandler DeliverHandler
	// DeliverWorkers is the number of goroutines running DeliverHandler
	// concurrently. With 1, DELIVERs are handled in arrival order. Default 4.
	DeliverWorkers int
	// FlushDelay is how long the writer may hold the frames it has
	// buffered, waiting for more to share one socket write (as Nagle's
	// algorithm does for TCP). It writes at once when no request can
	// follow soon (the window is full) or flushThreshold bytes are
	// buffered. Under a steady load of a few thousand frames a second per
	// link this turns about one write per frame into several frames per
	// write — each write costs a system call here and a read plus a wakeup
	// at the ISMG — for at most FlushDelay of added latency. Default
	// 500µs; negative writes as soon as the queues are empty.
	FlushDelay time.Duration
	// Logger receives one JSON event per line. The zero value discards
	// everything, like zerolog.Nop().
	Logger zerolog.Logger
	// Dialer dials the TCP connection; nil means a zero net.Dialer.
	Dialer *net.Dialer
	// Now is the clock used for the CONNECT Timestamp; default time.Now.
	Now func() time.Time
}

// Validate reports every invalid field of c, each as a *fielderr.Error
// naming the field ("cmpp: LinkConfig.SPID: …"). Zero values are valid
// where a default exists; Dial refuses what Validate refuses.
func (c LinkConfig) Validate() error {
	l := fielderr.NewList("cmpp: LinkConfig", nil)
	if c.Addr == "" {
		l.Addf("Addr", "is empty")
	} else if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		l.Addf("Addr", "not host:port: %v", err)
	}
	if c.SPID == "" {
		l.Addf("SPID", "is empty")
	} else if len(c.SPID) > 6 {
		l.Addf("SPID", "longer than 6 bytes")
	}
	if c.Version != 0 && c.Version != V20 && c.Version != V21 && c.Version != V30 {
		l.Addf("Version", "not V20, V21 or V30")
	}
	if c.Window < 0 || c.Window > MaxWindow {
		l.Addf("Window", "must be 0 (default %d) ..%d, got %d", DefaultWindow, MaxWindow, c.Window)
	}
	if c.Transmissions < 0 {
		l.Addf("Transmissions", "must not be negative, got %d", c.Transmissions)
	}
	if c.DeliverWorkers < 0 {
		l.Addf("DeliverWorkers", "must not be negative, got %d", c.DeliverWorkers)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"ConnectTimeout", c.ConnectTimeout}, {"ResponseTimeout", c.ResponseTimeout}, {"IdleInterval", c.IdleInterval}} {
		if d.v < 0 {
			l.Addf(d.field, "must not be negative, got %v", d.v)
		}
	}
	return l.Err()
}

// withDefaults returns a copy of c with every zero field set to its
// default, or the Validate error.
func (c LinkConfig) withDefaults() (LinkConfig, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.Version == 0 {
		c.Version = V30
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.ResponseTimeout == 0 {
		c.ResponseTimeout = DefaultResponseTimeout
	}
	if c.Transmissions == 0 {
		c.Transmissions = DefaultTransmissions
	}
	if c.IdleInterval == 0 {
		c.IdleInterval = DefaultIdleInterval
	}
	if c.DeliverWorkers == 0 {
		c.DeliverWorkers = DefaultDeliverWorkers
	}
	if c.FlushDelay == 0 {
		c.FlushDelay = DefaultFlushDelay
	}
	if c.Dialer == nil {
		c.Dialer = &net.Dialer{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
