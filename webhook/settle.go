package webhook

import (
	"time"

	"github.com/rs/zerolog"
)

// maxDeferBackoff caps the wait of an event put back because its host was
// saturated: the host frees up within a POST timeout or so, and a long
// wait would leave it idle with work queued.
const maxDeferBackoff = time.Minute

// settle applies the result of j's POST to each of its events: 2xx acks,
// 410 (or a connection refused by the address check) dead-letters, a POST
// aborted by shutdown gives them back, anything else is a failed attempt
// of each (retried or, past RetryFor, dead-lettered). A batch POST is then
// logged once; its dead-lettered events are also logged one by one (see
// deadLetter). What the receiver sent — its response body, or a transport
// error that may quote its answer — is logged at debug only and never
// stored: the event keeps "HTTP <status>" or a cause in our own words.
func (d *Dispatcher) settle(j *delivery, res attemptResult) {
	if (res.body != "" || res.detail != "") && res.verdict != delivered {
		l := j.log
		if !j.batch {
			l = *j.events[0].logger()
		}
		ev := l.Debug().Int("status", res.status)
		if res.body != "" {
			ev = ev.Str("response_body", res.body)
		}
		if res.detail != "" {
			ev = ev.Str("error_detail", res.detail)
		}
		ev.Msg("webhook receiver's answer")
	}
	aborted := d.postCtx.Err() != nil
	dead := 0
	for _, e := range j.events {
		switch {
		case res.verdict == delivered:
			d.ack(e, outcomeDelivered)
		case res.verdict == gone:
			d.deadLetter(e, res.err)
		case aborted:
			d.giveBack(e, "POST aborted by shutdown")
		default:
			if d.failed(e, res.err) == outcomeDead {
				dead++
			}
		}
	}
	switch {
	case res.verdict == delivered:
		j.logBatch(zerolog.DebugLevel).Int("status", res.status).Msg("webhook batch delivered")
	case res.verdict == gone:
		j.logBatch(zerolog.WarnLevel).Str("err", res.err).Msg("webhook batch undeliverable (410 Gone or forbidden address): every event dead-lettered")
	case aborted:
		j.logBatch(zerolog.DebugLevel).Msg("webhook batch POST aborted by shutdown: events given back")
	default:
		j.logBatch(zerolog.InfoLevel).Str("err", res.err).Int("dead_lettered", dead).
			Msg("webhook batch attempt failed: each event retried (dead-lettered once retry_for has passed)")
	}
}

// giveBackAll gives back every event of j unsent.
func (d *Dispatcher) giveBackAll(j *delivery, why string) {
	for _, e := range j.events {
		d.giveBack(e, why)
	}
	j.logBatch(zerolog.DebugLevel).Str("why", why).Msg("webhook batch given back")
}

// failed handles a failed attempt: retry after the back-off, or dead-letter
// once RetryFor has passed since the event's creation. The last retry is
// scheduled at the end of the period at the latest. It returns the
// outcome (outcomeRetry or outcomeDead).
func (d *Dispatcher) failed(e *leased, cause string) string {
	now := d.cfg.Now()
	start := e.ev.CreatedAt
	if start.IsZero() {
		start = now
	}
	deadline := start.Add(d.cfg.RetryFor)
	if !now.Before(deadline) {
		d.deadLetter(e, cause)
		return outcomeDead
	}
	at := now.Add(retryDelay(d.cfg.InitialBackoff, d.cfg.MaxBackoff, e.ev.Attempts))
	if at.After(deadline) {
		at = deadline
	}
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.RetryEvent(ctx, e.channel, e.ev.ID, at, cause)
	cancel()
	d.count(e, outcomeRetry)
	ev := e.logAt(zerolog.InfoLevel)
	if err != nil {
		ev = e.logger().Warn().AnErr("store_err", err)
	}
	ev.Str("err", cause).Time("retry_at", at).Msg("webhook attempt failed: retry scheduled")
	return outcomeRetry
}

// deferHostBusy puts an event back because its host is saturated. The
// wait grows with the event's leases (a deferral counts as one) up to
// maxDeferBackoff; no POST happened, so RetryFor is not checked.
func (d *Dispatcher) deferHostBusy(e *leased) {
	at := d.cfg.Now().Add(retryDelay(d.cfg.InitialBackoff, min(d.cfg.MaxBackoff, maxDeferBackoff), e.ev.Attempts))
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.RetryEvent(ctx, e.channel, e.ev.ID, at, "deferred: host "+e.host+" saturated")
	cancel()
	d.count(e, outcomeDeferred)
	if err != nil && !isNotLeased(err) {
		e.logger().Warn().Err(err).Msg("defer event")
		return
	}
	e.logger().Debug().Time("retry_at", at).Msg("host saturated: event deferred")
}

// giveBack returns an event unsent and due now (shutdown, short lease), so
// that this or another process takes it again at once.
func (d *Dispatcher) giveBack(e *leased, why string) {
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.RetryEvent(ctx, e.channel, e.ev.ID, d.cfg.Now(), why)
	cancel()
	if err != nil && !isNotLeased(err) {
		e.logger().Warn().Err(err).Str("why", why).Msg("give back event (its lease will expire)")
		return
	}
	e.logger().Debug().Str("why", why).Msg("event given back")
}

// deadLetter gives up on an event. It is logged at warn with its id even
// in a batch: an operator must find every event that needs a replay.
func (d *Dispatcher) deadLetter(e *leased, cause string) {
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.DeadLetter(ctx, e.channel, e.ev.ID, cause)
	cancel()
	d.count(e, outcomeDead)
	ev := e.logger().Warn()
	if err != nil {
		ev = e.logger().Error().AnErr("store_err", err)
	}
	ev.Str("err", cause).Msg("webhook event dead-lettered")
}

// count adds one to the Webhooks counter.
func (d *Dispatcher) count(e *leased, outcome string) {
	if m := d.cfg.Metrics; m != nil {
		m.Webhooks.WithLabelValues(string(e.ev.Type), outcome).Inc()
	}
}
