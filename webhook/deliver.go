package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/netguard"
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

// bodySaveConcurrency bounds the SaveEventBody calls of one batch in
// flight at a time.
const bodySaveConcurrency = 8

// leased is one leased event on its way to a callback URL.
type leased struct {
	ev      *store.Event
	channel string
	loop    *chanLoop       // of the lease: its ack loop acks the event
	base    *zerolog.Logger // the dispatcher's: see logger
	log     zerolog.Logger  // base with the event's fields, built by logger
	logged  bool            // log is built

	tenant    string   // the event's tenant (for sms.mo, the routed one)
	url, host string   // where it goes
	secrets   []string // the tenant's signing secrets, current first
	batchMax  int      // the tenant's BatchMax: > 1 sends it in a batch
	batched   bool     // in a batch POST: its own log lines at debug
	body      []byte
	fresh     bool // body rendered by this lease: save it first

	// At most one of these is set: the event is settled without a POST.
	noCallback bool   // ack: nowhere to deliver
	dead       string // dead-letter at once with this error
	retryErr   string // count as a failed attempt with this error
}

// logger returns the dispatcher's logger with the event's fields
// (event_id, type, channel, attempt, and host once known). It is built on
// the first line logged about the event: most events are delivered
// without one above debug, and building it cost allocations per event. An
// event is handled by one goroutine at a time, so no locking.
func (e *leased) logger() *zerolog.Logger {
	if !e.logged {
		c := e.base.With().Str("event_id", e.ev.ID).Str("type", string(e.ev.Type)).
			Str("channel", e.channel).Int("attempt", e.ev.Attempts)
		if e.host != "" {
			c = c.Str("host", e.host)
		}
		e.log, e.logged = c.Logger(), true
	}
	return &e.log
}

// unsent reports whether e is settled without a POST.
func (e *leased) unsent() bool { return e.noCallback || e.dead != "" || e.retryErr != "" }

// logAt starts a log line about e at level; an event sent in a batch is
// logged at debug (its POST is logged once, see settle). Dead letters are
// not: see deadLetter.
func (e *leased) logAt(level zerolog.Level) *zerolog.Event {
	if e.batched {
		level = zerolog.DebugLevel
	}
	return e.logger().WithLevel(level)
}

// delivery is one POST carrying 1..n events of one lease of one tenant
// that go to the same URL with the same secrets and event type. Without batch it carries
// one event whose body is POSTed as is; a batch (the tenant's BatchMax >
// 1) POSTs the JSON array of its events' bodies, even for one event, so
// that the receiver always parses one shape.
type delivery struct {
	channel        string
	leasedAt       time.Time
	url, host, typ string
	secrets        []string
	batch          bool
	events         []*leased
	log            zerolog.Logger // batches: one line per POST
}

// batchKey groups the events of a lease into batches. The tenant is part
// of it so that a batch never mixes tenants: each tenant's BatchMax caps
// its own POSTs, even when tenants share a URL and secret. secrets is the
// tenant's secrets joined by NUL (a secret rotated between two events of
// one lease starts another batch).
type batchKey struct{ tenant, url, secrets, typ string }

// newDelivery returns a delivery of e alone.
func (d *Dispatcher) newDelivery(e *leased, leasedAt time.Time, batch bool) *delivery {
	j := &delivery{
		channel: e.channel, leasedAt: leasedAt, url: e.url, host: e.host, secrets: e.secrets,
		typ: string(e.ev.Type), batch: batch, events: []*leased{e},
	}
	if batch {
		e.batched = true
		j.log = d.log.With().Str("channel", e.channel).Str("tenant", e.tenant).Str("type", j.typ).
			Str("host", e.host).Str("first_event_id", e.ev.ID).Logger()
	}
	return j
}

// dispatch prepares the events of one lease, groups those of batch-mode
// tenants by tenant and destination (URL, secrets, type; at most the
// tenant's BatchMax per POST) and queues each delivery for a delivery
// runner (runDeliveries). It runs on the lease loop of l,
// before Run (or the removal of the channel) waits for deliveries.
func (d *Dispatcher) dispatch(l *chanLoop, evs []store.Event, leasedAt time.Time, cache *requestCache) {
	reqs := d.loadRequests(cache, evs)
	var out []*delivery
	open := map[batchKey]*delivery{} // batches still taking events
	for i := range evs {
		e := d.prepare(l.name, &evs[i], reqs[i])
		e.loop = l
		if e.unsent() || e.batchMax <= 1 {
			out = append(out, d.newDelivery(e, leasedAt, false))
			continue
		}
		k := batchKey{e.tenant, e.url, strings.Join(e.secrets, "\x00"), string(e.ev.Type)}
		j := open[k]
		if j == nil {
			j = d.newDelivery(e, leasedAt, true)
			open[k] = j
			out = append(out, j)
		} else {
			e.batched = true
			j.events = append(j.events, e)
		}
		if len(j.events) >= j.events[0].batchMax {
			delete(open, k) // full: the next event starts another
		}
	}
	for _, j := range out {
		l.active.Add(1)
		d.active.Add(1)
		d.deliveries <- queued{j: j, loop: l, events: len(j.events)} // never blocks: see Dispatcher.deliveries
	}
}

// queued is a delivery waiting for a delivery runner.
type queued struct {
	j      *delivery
	loop   *chanLoop // whose lease it is
	events int       // leasing tokens to give back once done
}

// runDeliveries is one of the dispatcher's delivery runners: it delivers
// what dispatch queues until Run closes the queue. The runners live as
// long as Run: a goroutine per delivery cost a start and, as the POST
// runs deep into net/http, a stack growth (copy) per event.
func (d *Dispatcher) runDeliveries() {
	for q := range d.deliveries {
		d.deliver(q.j)
		d.returnBudget(q.events)
		q.loop.active.Done()
		d.active.Done()
	}
}

// prepare resolves where ev goes and renders its body when it has none
// yet.
func (d *Dispatcher) prepare(channel string, ev *store.Event, rs requestState) *leased {
	e := &leased{ev: ev, channel: channel, body: ev.Body, base: &d.log}
	var tenantName, ext string
	switch ev.Type {
	case store.EventStatus:
		tenantName = ev.Tenant
	case store.EventMO:
		if ev.MO == nil {
			e.dead = "malformed sms.mo event"
			return e
		}
		name, x, ok := d.cfg.Tenants.RouteMO(channel, ev.MO.Dest)
		if !ok {
			if ev.CallbackURL == "" {
				e.noCallback = true
			} else {
				e.dead = "no tenant takes this MO message (no default tenant): nothing to sign with"
			}
			return e
		}
		tenantName, ext = name, x
	default:
		e.dead = fmt.Sprintf("unknown event type %q", ev.Type)
		return e
	}
	t, known := d.cfg.Tenants.Tenant(tenantName)
	e.tenant, e.url = tenantName, ev.CallbackURL
	if e.url == "" {
		e.url = t.CallbackURL
	}
	if e.url == "" {
		e.noCallback = true
		return e
	}
	if !known {
		e.dead = fmt.Sprintf("unknown tenant %q", tenantName)
		return e
	}
	// Checked again at delivery: the policy may have been tightened since
	// the URL was accepted (the API and the configuration check it too).
	err := netguard.CheckURL(e.url, netguard.Policy{AllowPrivate: d.cfg.AllowPrivateNetworks, Hosts: t.WebhookHosts})
	if err != nil {
		e.dead = err.Error() // "invalid callback URL: …" or "callback address forbidden: …"
		return e
	}
	u, _ := url.Parse(e.url) // cannot fail: CheckURL parsed it
	e.host, e.secrets, e.batchMax = strings.ToLower(u.Host), t.Secrets, t.BatchMax
	if e.body != nil {
		return e
	}
	switch ev.Type {
	case store.EventStatus:
		if ev.Segments != nil {
			// Rendered from the event hash alone, whose render inputs
			// never change: every lease renders the same bytes, so the
			// body is not saved (one round trip less per event).
			e.body, err = RenderStatus(ev, nil)
			if err != nil {
				e.dead = "render: " + err.Error()
			}
			return e
		}
		if rs.err != nil {
			e.retryErr = "load request: " + rs.err.Error()
			return e
		}
		if rs.req == nil {
			e.logger().Warn().Str("request_id", ev.RequestID).Msg("request gone: sms.status sent without segment details")
		}
		e.body, err = RenderStatus(ev, rs.req)
	case store.EventMO:
		e.body, err = RenderMO(ev, tenantName, ext)
	}
	if err != nil {
		e.dead = "render: " + err.Error()
		return e
	}
	e.fresh = true
	return e
}

// deliver settles the events of j: at most one POST, then each is acked,
// retried, dead-lettered or given back.
func (d *Dispatcher) deliver(j *delivery) {
	if e := j.events[0]; len(j.events) == 1 && e.unsent() {
		d.settleUnsent(e)
		return
	}
	if j.events = d.saveBodies(j.events); len(j.events) == 0 {
		return
	}
	if err := d.hosts.acquire(d.runCtx, j.host); err != nil {
		if errors.Is(err, errHostBusy) {
			for _, e := range j.events {
				d.deferHostBusy(e)
			}
			j.logBatch(zerolog.DebugLevel).Msg("host saturated: batch deferred")
		} else {
			d.giveBackAll(j, "dispatcher stopped before the POST")
		}
		return
	}
	select {
	case d.workers <- struct{}{}:
	case <-d.runCtx.Done():
		d.hosts.release(j.host)
		d.giveBackAll(j, "dispatcher stopped before the POST")
		return
	}
	if time.Since(j.leasedAt)+d.cfg.Timeout > d.leaseTTL-leaseMargin(d.leaseTTL) {
		<-d.workers
		d.hosts.release(j.host)
		d.giveBackAll(j, "lease too short for a POST")
		return
	}
	res := d.post(d.postCtx, j)
	<-d.workers
	d.hosts.release(j.host)
	if m := d.cfg.Metrics; m != nil && res.took > 0 {
		m.WebhookDuration.Observe(res.took.Seconds())
	}
	d.settle(j, res)
}

// settleUnsent settles an event that gets no POST.
func (d *Dispatcher) settleUnsent(e *leased) {
	switch {
	case e.noCallback:
		d.ack(e, outcomeNoCallback)
	case e.dead != "":
		d.deadLetter(e, e.dead)
	default:
		d.failed(e, e.retryErr)
	}
}

// saveBodies saves the bodies this lease rendered (Store.SaveEventBody,
// so that every retry sends the same bytes), up to bodySaveConcurrency at
// a time, and returns the events still to POST, with the bodies stored:
// an event gone from the store is dropped, one whose save failed counts
// as a failed attempt.
func (d *Dispatcher) saveBodies(events []*leased) []*leased {
	if !slices.ContainsFunc(events, func(e *leased) bool { return e.fresh }) {
		return events // the usual sms.status case: nothing to save
	}
	keep := make([]bool, len(events))
	sem := make(chan struct{}, bodySaveConcurrency)
	var wg sync.WaitGroup
	for i, e := range events {
		if !e.fresh {
			keep[i] = true
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			keep[i] = d.saveBody(e)
		})
	}
	wg.Wait()
	out := events[:0]
	for i, e := range events {
		if keep[i] {
			out = append(out, e)
		}
	}
	return out
}

// saveBody saves e's rendered body and reports whether e is still to be
// POSTed.
func (d *Dispatcher) saveBody(e *leased) bool {
	ctx, cancel := d.storeCtx()
	body, err := d.cfg.Store.SaveEventBody(ctx, e.channel, e.ev.ID, e.body)
	cancel()
	if errors.Is(err, store.ErrNotFound) {
		e.logger().Info().Msg("event gone before its first POST (acked elsewhere)")
		return false
	}
	if err != nil {
		// Left out of the POST, so the batch line does not tell: the
		// failed attempt is logged on its own, with the event id.
		e.batched = false
		d.failed(e, "save body: "+err.Error())
		return false
	}
	e.body = body
	return true
}

// body returns what j POSTs: the event's body, or for a batch the JSON
// array of its events' bodies ("[b1,b2,…]", no whitespace).
func (j *delivery) body() []byte {
	if !j.batch {
		return j.events[0].body
	}
	n := 1 + len(j.events)
	for _, e := range j.events {
		n += len(e.body)
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, e := range j.events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.body...)
	}
	return append(b, ']')
}

// logBatch starts the one log line of a batch POST at level (with the
// event count); for a single event (logged on its own) it logs nothing.
func (j *delivery) logBatch(level zerolog.Level) *zerolog.Event {
	if !j.batch {
		return nil // a nil *zerolog.Event discards
	}
	return j.log.WithLevel(level).Int("events", len(j.events))
}
