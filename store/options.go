package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/internal/fielderr"
)

// Options configure a Store. The zero value of every field selects the
// documented default (see withDefaults).
type Options struct {
	// Prefix starts every key (default "sb"). It must not contain '{',
	// '}', ':' or whitespace.
	Prefix string
	// LeaseTTL is how long a leased job stays invisible before Recover
	// puts it back in the queue (default 30 s). Senders call Extend to
	// keep long leases alive.
	LeaseTTL time.Duration
	// MappingTTL is how long a Msg_Id -> job mapping lives (default 72 h);
	// a report arriving later is parked and then dropped.
	MappingTTL time.Duration
	// ParkTTL is how long a report whose Msg_Id is not yet known (it came
	// before its SUBMIT_RESP) is kept (default 10 min).
	ParkTTL time.Duration
	// ReportWait is how long a submitted job waits for its status report
	// before SweepReportWait makes it final 'unknown' (default 48 h, the
	// specification's report wait).
	ReportWait time.Duration
	// Retention is how long a request hash (and a dead-lettered event) is
	// kept once final (default 7 days). No TTL is set before that.
	Retention time.Duration
	// IndexTTL is the initial TTL of the request-id -> channel index
	// (default 30 days); it is shortened to Retention when the request
	// becomes final.
	IndexTTL time.Duration
	// IdempotencyTTL is how long a completed idempotency record replays
	// its response (default 24 h).
	IdempotencyTTL time.Duration
	// EventLeaseTTL is how long a leased event stays invisible before
	// Recover makes it ready again (default 30 s).
	EventLeaseTTL time.Duration
	// MOPartTTL is how long an incomplete MO long message is kept
	// (default 2 h, as SMSGate does).
	MOPartTTL time.Duration
	// DedupTTL is how long a DELIVER Msg_Id is remembered to drop resent
	// MO DELIVERs (default 1 h; the ISMG resends within minutes).
	DedupTTL time.Duration
	// MaxRecipients bounds the recipients of one request (default 1000).
	MaxRecipients int
	// MaxSegments bounds the segments of one request (default 255, the
	// range of Pk_total).
	MaxSegments int
	// MaxRecoveries is how many times Recover puts a job whose lease
	// expired back in the queue; the next expiry makes it final 'unknown'
	// with ErrCodeWorkerLost (default 5).
	MaxRecoveries int
	// SweepBatch bounds the jobs or events one Recover or SweepReportWait
	// script call handles; the Go side loops (default 1000).
	SweepBatch int
	// CreateDeadline is how long after CreateRequest starts Redis may
	// still store the request (default 3 s, the Redis client's default
	// read timeout): a create Redis runs later (e.g. buffered while the
	// server was paused) does nothing. See create.lua.
	CreateDeadline time.Duration
	// ClockSkew is the largest difference assumed between this host's
	// wall clock and the Redis server's (default 1 s); the create deadline
	// is trusted only that long after it passed.
	ClockSkew time.Duration
	// UsageRetention is how long a tenant's daily usage counters are kept
	// (default 400 days); the TTL is set when a day's key is created.
	UsageRetention time.Duration
	// Now is the clock (default time.Now). Scripts never read the Redis
	// clock: every time is passed in ARGV, so tests can move time. The one
	// exception is the create deadline (real wall-clock time, compared
	// with Redis TIME by create.lua).
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultPrefix         = "sb"
	DefaultLeaseTTL       = 30 * time.Second
	DefaultMappingTTL     = 72 * time.Hour
	DefaultParkTTL        = 10 * time.Minute
	DefaultReportWait     = 48 * time.Hour
	DefaultRetention      = 7 * 24 * time.Hour
	DefaultIndexTTL       = 30 * 24 * time.Hour
	DefaultIdempotencyTTL = 24 * time.Hour
	DefaultEventLeaseTTL  = 30 * time.Second
	DefaultMOPartTTL      = 2 * time.Hour
	DefaultDedupTTL       = time.Hour
	DefaultMaxRecipients  = 1000
	DefaultMaxSegments    = 255
	DefaultSweepBatch     = 1000
	DefaultMaxRecoveries  = 5
	DefaultCreateDeadline = 3 * time.Second
	DefaultClockSkew      = time.Second
	DefaultUsageRetention = 400 * 24 * time.Hour
)

// withDefaults fills zero fields with the defaults.
func (o Options) withDefaults() Options {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	setDur(&o.LeaseTTL, DefaultLeaseTTL)
	setDur(&o.MappingTTL, DefaultMappingTTL)
	setDur(&o.ParkTTL, DefaultParkTTL)
	setDur(&o.ReportWait, DefaultReportWait)
	setDur(&o.Retention, DefaultRetention)
	setDur(&o.IndexTTL, DefaultIndexTTL)
	setDur(&o.IdempotencyTTL, DefaultIdempotencyTTL)
	setDur(&o.CreateDeadline, DefaultCreateDeadline)
	setDur(&o.ClockSkew, DefaultClockSkew)
	setDur(&o.EventLeaseTTL, DefaultEventLeaseTTL)
	setDur(&o.MOPartTTL, DefaultMOPartTTL)
	setDur(&o.DedupTTL, DefaultDedupTTL)
	setDur(&o.UsageRetention, DefaultUsageRetention)
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = DefaultMaxRecipients
	}
	if o.MaxSegments <= 0 || o.MaxSegments > DefaultMaxSegments {
		o.MaxSegments = DefaultMaxSegments
	}
	if o.MaxRecoveries <= 0 {
		o.MaxRecoveries = DefaultMaxRecoveries
	}
	if o.SweepBatch <= 0 {
		o.SweepBatch = DefaultSweepBatch
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports every invalid field of o, each as a *fielderr.Error
// naming the field and matching ErrInvalid. Zero values are valid (they
// select the defaults); negative durations and counts are not. New panics
// on options Validate refuses, so callers holding outside input (a
// configuration file) call Validate first.
func (o Options) Validate() error {
	l := fielderr.NewList("store: Options", ErrInvalid)
	if o.Prefix != "" {
		if err := checkName(o.Prefix); err != nil {
			l.Addf("Prefix", "%v", err)
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"LeaseTTL", o.LeaseTTL}, {"MappingTTL", o.MappingTTL}, {"ParkTTL", o.ParkTTL},
		{"ReportWait", o.ReportWait}, {"Retention", o.Retention}, {"IndexTTL", o.IndexTTL},
		{"IdempotencyTTL", o.IdempotencyTTL}, {"EventLeaseTTL", o.EventLeaseTTL}, {"MOPartTTL", o.MOPartTTL},
		{"DedupTTL", o.DedupTTL}, {"CreateDeadline", o.CreateDeadline}, {"ClockSkew", o.ClockSkew},
		{"UsageRetention", o.UsageRetention},
	} {
		if d.v < 0 {
			l.Addf(d.field, "must not be negative, got %v", d.v)
		}
	}
	if o.MaxRecipients < 0 {
		l.Addf("MaxRecipients", "must not be negative, got %d", o.MaxRecipients)
	}
	if o.MaxSegments < 0 || o.MaxSegments > DefaultMaxSegments {
		l.Addf("MaxSegments", "must be 0..%d, got %d", DefaultMaxSegments, o.MaxSegments)
	}
	if o.MaxRecoveries < 0 {
		l.Addf("MaxRecoveries", "must not be negative, got %d", o.MaxRecoveries)
	}
	if o.SweepBatch < 0 {
		l.Addf("SweepBatch", "must not be negative, got %d", o.SweepBatch)
	}
	return l.Err()
}

// checkName is the rule for the key prefix and channel names: they sit
// inside the {hash-tag} and between ':' separators of every key.
func checkName(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	if strings.ContainsAny(s, "{}: \t\r\n") {
		return fmt.Errorf("%q contains '{', '}', ':' or whitespace", s)
	}
	return nil
}

// validateName checks a prefix or channel name used inside the hash tag.
func validateName(what, s string) error {
	if err := checkName(s); err != nil {
		return fmt.Errorf("%w: %s %w", ErrInvalid, what, err)
	}
	return nil
}
