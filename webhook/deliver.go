package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/store"
)

// Metric outcomes (see Config).
const (
	outcomeDelivered  = "delivered"
	outcomeRetry      = "retry"
	outcomeDead       = "dead"
	outcomeNoCallback = "no_callback"
	outcomeDeferred   = "deferred"
)

// maxDeferBackoff caps the wait of an event put back because its host was
// saturated: the host frees up within a POST timeout or so, and a long
// wait would leave it idle with work queued.
const maxDeferBackoff = time.Minute

// delivery is one leased event on its way to a callback URL.
type delivery struct {
	ev       *store.Event
	channel  string
	leasedAt time.Time
	log      zerolog.Logger

	url, host, secret string
	body              []byte
	fresh             bool // body rendered by this lease: save it first

	// At most one of these is set: the event is settled without a POST.
	noCallback bool   // ack: nowhere to deliver
	dead       string // dead-letter at once with this error
	retryErr   string // count as a failed attempt with this error
}

// dispatch prepares the events of one lease and starts a goroutine per
// event. It runs on the lease loop, before Run waits for deliveries.
func (d *Dispatcher) dispatch(channel string, evs []store.Event, leasedAt time.Time, cache *requestCache) {
	reqs := d.loadRequests(cache, evs)
	for i := range evs {
		j := d.prepare(channel, &evs[i], reqs[i], leasedAt)
		d.active.Go(func() {
			defer d.returnBudget(1)
			d.deliver(j)
		})
	}
}

// prepare resolves where ev goes and renders its body when it has none
// yet.
func (d *Dispatcher) prepare(channel string, ev *store.Event, rs requestState, leasedAt time.Time) *delivery {
	j := &delivery{ev: ev, channel: channel, leasedAt: leasedAt, body: ev.Body}
	j.log = d.log.With().Str("event_id", ev.ID).Str("type", string(ev.Type)).
		Str("channel", channel).Int("attempt", ev.Attempts).Logger()
	var tenantName, ext string
	switch ev.Type {
	case store.EventStatus:
		tenantName = ev.Tenant
	case store.EventMO:
		if ev.MO == nil {
			j.dead = "malformed sms.mo event"
			return j
		}
		name, e, ok := d.cfg.Tenants.RouteMO(channel, ev.MO.Dest)
		if !ok {
			if ev.CallbackURL == "" {
				j.noCallback = true
			} else {
				j.dead = "no tenant takes this MO message (no default tenant): nothing to sign with"
			}
			return j
		}
		tenantName, ext = name, e
	default:
		j.dead = fmt.Sprintf("unknown event type %q", ev.Type)
		return j
	}
	t, known := d.cfg.Tenants.Tenant(tenantName)
	j.url = ev.CallbackURL
	if j.url == "" {
		j.url = t.CallbackURL
	}
	if j.url == "" {
		j.noCallback = true
		return j
	}
	if !known {
		j.dead = fmt.Sprintf("unknown tenant %q", tenantName)
		return j
	}
	u, err := url.Parse(j.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		j.dead = "invalid callback URL (not an absolute http(s) URL)"
		return j
	}
	j.host, j.secret = strings.ToLower(u.Host), t.Secret
	j.log = j.log.With().Str("host", j.host).Logger()
	if j.body != nil {
		return j
	}
	switch ev.Type {
	case store.EventStatus:
		if ev.Segments != nil {
			// Rendered from the event hash alone, whose render inputs
			// never change: every lease renders the same bytes, so the
			// body is not saved (one round trip less per event).
			j.body, err = RenderStatus(ev, nil)
			if err != nil {
				j.dead = "render: " + err.Error()
			}
			return j
		}
		if rs.err != nil {
			j.retryErr = "load request: " + rs.err.Error()
			return j
		}
		if rs.req == nil {
			j.log.Warn().Str("request_id", ev.RequestID).Msg("request gone: sms.status sent without segment details")
		}
		j.body, err = RenderStatus(ev, rs.req)
	case store.EventMO:
		j.body, err = RenderMO(ev, tenantName, ext)
	}
	if err != nil {
		j.dead = "render: " + err.Error()
		return j
	}
	j.fresh = true
	return j
}

// deliver settles one event: at most one POST, then ack, retry, dead
// letter or give back.
func (d *Dispatcher) deliver(j *delivery) {
	switch {
	case j.noCallback:
		d.ack(j, outcomeNoCallback)
		return
	case j.dead != "":
		d.deadLetter(j, j.dead)
		return
	case j.retryErr != "":
		d.failed(j, j.retryErr)
		return
	}
	if j.fresh {
		ctx, cancel := d.storeCtx()
		body, err := d.cfg.Store.SaveEventBody(ctx, j.channel, j.ev.ID, j.body)
		cancel()
		if errors.Is(err, store.ErrNotFound) {
			j.log.Info().Msg("event gone before its first POST (acked elsewhere)")
			return
		}
		if err != nil {
			d.failed(j, "save body: "+err.Error())
			return
		}
		j.body = body
	}
	if err := d.hosts.acquire(d.runCtx, j.host); err != nil {
		if errors.Is(err, errHostBusy) {
			d.deferHostBusy(j)
		} else {
			d.giveBack(j, "dispatcher stopped before the POST")
		}
		return
	}
	select {
	case d.workers <- struct{}{}:
	case <-d.runCtx.Done():
		d.hosts.release(j.host)
		d.giveBack(j, "dispatcher stopped before the POST")
		return
	}
	if time.Since(j.leasedAt)+d.cfg.Timeout > d.leaseTTL-leaseMargin(d.leaseTTL) {
		<-d.workers
		d.hosts.release(j.host)
		d.giveBack(j, "lease too short for a POST")
		return
	}
	res := d.post(d.postCtx, j.url, j.secret, j.ev.ID, string(j.ev.Type), j.body)
	<-d.workers
	d.hosts.release(j.host)
	if m := d.cfg.Metrics; m != nil && res.took > 0 {
		m.WebhookDuration.Observe(res.took.Seconds())
	}
	switch {
	case res.verdict == delivered:
		d.ack(j, outcomeDelivered)
	case res.verdict == gone:
		d.deadLetter(j, res.err)
	case d.postCtx.Err() != nil:
		d.giveBack(j, "POST aborted by shutdown")
	default:
		d.failed(j, res.err)
	}
}

// failed handles a failed attempt: retry after the back-off, or dead-letter
// once RetryFor has passed since the event's creation. The last retry is
// scheduled at the end of the period at the latest.
func (d *Dispatcher) failed(j *delivery, cause string) {
	now := d.cfg.Now()
	start := j.ev.CreatedAt
	if start.IsZero() {
		start = now
	}
	deadline := start.Add(d.cfg.RetryFor)
	if !now.Before(deadline) {
		d.deadLetter(j, cause)
		return
	}
	at := now.Add(retryDelay(d.cfg.InitialBackoff, d.cfg.MaxBackoff, j.ev.Attempts))
	if at.After(deadline) {
		at = deadline
	}
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.RetryEvent(ctx, j.channel, j.ev.ID, at, cause)
	cancel()
	d.count(j, outcomeRetry)
	ev := j.log.Info()
	if err != nil {
		ev = j.log.Warn().AnErr("store_err", err)
	}
	ev.Str("err", cause).Time("retry_at", at).Msg("webhook attempt failed: retry scheduled")
}

// deferHostBusy puts an event back because its host is saturated. The
// wait grows with the event's leases (a deferral counts as one) up to
// maxDeferBackoff; no POST happened, so RetryFor is not checked.
func (d *Dispatcher) deferHostBusy(j *delivery) {
	at := d.cfg.Now().Add(retryDelay(d.cfg.InitialBackoff, min(d.cfg.MaxBackoff, maxDeferBackoff), j.ev.Attempts))
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.RetryEvent(ctx, j.channel, j.ev.ID, at, "deferred: host "+j.host+" saturated")
	cancel()
	d.count(j, outcomeDeferred)
	if err != nil && !isNotLeased(err) {
		j.log.Warn().Err(err).Msg("defer event")
		return
	}
	j.log.Debug().Time("retry_at", at).Msg("host saturated: event deferred")
}

// giveBack returns an event unsent and due now (shutdown, short lease), so
// that this or another process takes it again at once.
func (d *Dispatcher) giveBack(j *delivery, why string) {
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.RetryEvent(ctx, j.channel, j.ev.ID, d.cfg.Now(), why)
	cancel()
	if err != nil && !isNotLeased(err) {
		j.log.Warn().Err(err).Str("why", why).Msg("give back event (its lease will expire)")
		return
	}
	j.log.Debug().Str("why", why).Msg("event given back")
}

// deadLetter gives up on an event.
func (d *Dispatcher) deadLetter(j *delivery, cause string) {
	ctx, cancel := d.storeCtx()
	err := d.cfg.Store.DeadLetter(ctx, j.channel, j.ev.ID, cause)
	cancel()
	d.count(j, outcomeDead)
	ev := j.log.Warn()
	if err != nil {
		ev = j.log.Error().AnErr("store_err", err)
	}
	ev.Str("err", cause).Msg("webhook event dead-lettered")
}

// count adds one to the Webhooks counter.
func (d *Dispatcher) count(j *delivery, outcome string) {
	if m := d.cfg.Metrics; m != nil {
		m.Webhooks.WithLabelValues(string(j.ev.Type), outcome).Inc()
	}
}
