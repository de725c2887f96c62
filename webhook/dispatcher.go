package webhook

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/store"
)

// storeOpTimeout bounds one store call made on behalf of a delivery (ack,
// retry, dead letter), which may run after Run's context is cancelled.
const storeOpTimeout = 5 * time.Second

// Dispatcher delivers the events of the store's outboxes to their callback
// URLs. Create it with New and start it with Run.
//
// For every channel one loop leases batches of ready events (the store
// moves due retries to the ready list on each lease) and hands each
// delivery — one POST — to one of its 2×Workers delivery runners (one
// per delivery that can be leased: none waits for a runner), which
// renders the bodies once (saved in the store so every retry sends the same bytes; sms.status
// events that carry their segment states are not saved: they render to
// the same bytes on every lease), waits for a slot of the callback host,
// then for one of the Workers slots, POSTs, and acks (through the
// channel's ack loop, which acks what is waiting with one store call),
// reschedules or dead-letters each event. At most 2×Workers events are
// leased at a time.
// The dispatcher only reads the outbox: it never touches the CMPP side.
// It holds the leases of the events it delivers and recovers nothing:
// events whose lease expired (their process died) are made ready again by
// the maintainer (internal/maintain), which signals Wake.
//
// A delivery carries one event, with the event object as the body, unless
// the event's tenant has BatchMax > 1: then the events of one lease of
// that tenant that go to the same URL with the same secret and type are
// sent together, up to the tenant's BatchMax per POST (a batch never
// mixes tenants), as a JSON array of the same event objects
// ("[{…},{…}]"), even when only one event is there. A batch waits for no
// other event. Its outcome applies to each of its events by the policy
// below; host and worker slots are taken per POST.
//
// Delivery policy:
//   - 2xx: delivered, the event is acked (deleted).
//   - 410 Gone: the receiver says the endpoint is gone for good; the event
//     is dead-lettered at once (an operator can replay it once the URL is
//     fixed) rather than retried for a day.
//   - anything else (other statuses, 3xx — redirects are not followed —,
//     timeouts, connection errors): retried after an exponential back-off
//     with equal jitter (see Config) until RetryFor has passed since the
//     event was created; the last retry is scheduled at that limit, and a
//     failure then dead-letters the event with the last error.
//   - no callback URL (none on the event, the tenant has no default, or no
//     tenant takes an MO message and none is the default): acked without a
//     POST, logged, counted as outcome "no_callback" — retrying cannot help.
//   - unknown tenant (no secret to sign with), unusable URL, unknown event
//     type: dead-lettered at once.
//   - host saturated (PerHostConcurrency POSTs in flight and twice as many
//     waiting for them): the events are put back in the store for a
//     little later (outcome "deferred"), so that their leases do not run
//     out while they wait and other hosts keep their share. The limit is
//     per process.
//
// Every attempt sends the same bytes (rendered once and saved with
// Store.SaveEventBody, or rendered from the event's immutable fields; a
// batch is a new array of them) with a fresh signature timestamp, and the
// headers Content-Type: application/json, X-Smsbridge-Signature (over the
// whole body), X-Smsbridge-Event-Type, User-Agent: smsbridge/<Version>,
// and X-Smsbridge-Event-Id for one event or X-Smsbridge-Event-Count for a
// batch.
type Dispatcher struct {
	cfg       Config
	log       zerolog.Logger
	userAgent string
	leaseTTL  time.Duration // the store's EventLeaseTTL
	hosts     *hostLimiter
	workers   chan struct{} // one token per POST in flight (a batch is one)
	budget    chan struct{} // one token per leased, unfinished event
	// deliveries queues the deliveries of the leases for the delivery
	// runners. Every delivery holds at least one budget token, so at
	// most cap(budget) are queued or running: with as much room and as
	// many runners, queueing never blocks a lease loop and no delivery
	// waits for a runner (each then waits for its host and a Workers
	// slot, as a goroutine of its own would).
	deliveries chan queued
	runners    sync.WaitGroup // the delivery runners (runDeliveries)
	batchSize  atomic.Int64   // events leased per store call (Config.BatchSize, then SetBatchSize)
	running    atomic.Bool

	// Set by Run (under mu).
	runCtx  context.Context // cancelled to stop
	postCtx context.Context // cancelled after StopGrace
	active  sync.WaitGroup  // deliveries queued or running

	setMu    sync.Mutex // serialises SetChannels
	mu       sync.Mutex
	channels []string             // the list to follow (Config.Channels, then SetChannels)
	loops    map[string]*chanLoop // running, by channel
	started  bool                 // Run has started the loops
	stopping bool                 // Run's ctx ended: no loop starts any more
	leases   sync.WaitGroup       // lease loops
	ackers   sync.WaitGroup       // ack loops
	retiring sync.WaitGroup       // closers of the ack loops of removed channels
}

// New returns a Dispatcher for cfg (defaults filled in). It panics when
// cfg.Store, cfg.Tenants or cfg.Wake is nil, cfg.Wake does not know a
// channel of cfg.Channels, or cfg.Validate fails (programming errors:
// check settings from outside input with Validate first).
func New(cfg Config) *Dispatcher {
	if cfg.Store == nil || cfg.Tenants == nil || cfg.Wake == nil {
		panic("webhook: Config.Store, Config.Tenants and Config.Wake are required")
	}
	for _, ch := range cfg.Channels {
		if !cfg.Wake.Has(ch) {
			panic("webhook: Config.Wake has no channel " + ch)
		}
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	d := &Dispatcher{
		cfg:        cfg,
		log:        cfg.Logger.With().Str("component", "webhook").Logger(),
		userAgent:  "smsbridge/" + cfg.Version,
		leaseTTL:   cfg.Store.Options().EventLeaseTTL,
		hosts:      newHostLimiter(cfg.PerHostConcurrency, 2*cfg.PerHostConcurrency),
		workers:    make(chan struct{}, cfg.Workers),
		budget:     make(chan struct{}, 2*cfg.Workers),
		deliveries: make(chan queued, 2*cfg.Workers),
		channels:   slices.Clone(cfg.Channels),
		loops:      make(map[string]*chanLoop, len(cfg.Channels)),
	}
	d.batchSize.Store(int64(cfg.BatchSize))
	if cfg.Timeout+leaseMargin(d.leaseTTL) > d.leaseTTL {
		d.log.Warn().Dur("timeout", cfg.Timeout).Dur("event_lease_ttl", d.leaseTTL).
			Msg("webhook timeout does not fit in the event lease: slow POSTs will be given back unsent")
	}
	return d
}

// leaseMargin is the time kept free at the end of an event lease for the
// ack after a POST.
func leaseMargin(ttl time.Duration) time.Duration { return min(2*time.Second, ttl/5) }

// errRunning: Run was called twice.
var errRunning = errors.New("webhook: Dispatcher.Run called twice")

// Run delivers events until ctx is cancelled, then stops leasing, lets the
// POSTs in flight finish for up to StopGrace (then aborts them and leaves
// their events for a retry), gives back events still waiting for a slot,
// and returns nil once every goroutine it started has ended. It may be
// called once. The channels served are Config.Channels until SetChannels
// changes them.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errRunning
	}
	postCtx, abortPosts := context.WithCancel(context.WithoutCancel(ctx))
	defer abortPosts()
	d.mu.Lock()
	d.runCtx, d.postCtx = ctx, postCtx
	for range cap(d.deliveries) {
		d.runners.Go(d.runDeliveries)
	}
	d.started = true
	d.follow()
	d.log.Info().Strs("channels", d.channels).Int("workers", d.cfg.Workers).
		Int("per_host", d.cfg.PerHostConcurrency).Dur("retry_for", d.cfg.RetryFor).Msg("webhook dispatcher started")
	d.mu.Unlock()

	<-ctx.Done()
	d.mu.Lock()
	d.stopping = true // no loop starts after this, so the Waits below are final
	loops := slices.Collect(maps.Values(d.loops))
	d.mu.Unlock()
	d.leases.Wait() // no delivery starts after this

	done := make(chan struct{})
	go func() { d.active.Wait(); close(done) }()
	grace := time.NewTimer(d.cfg.StopGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		d.log.Warn().Dur("grace", d.cfg.StopGrace).Msg("webhook POSTs still in flight after the grace period: aborting them")
		abortPosts()
		<-done
	}
	close(d.deliveries) // no delivery is queued or running: the runners end
	d.runners.Wait()
	for _, l := range loops {
		close(l.acks) // no delivery is left to ack
	}
	d.retiring.Wait() // those of removed channels close their own
	d.ackers.Wait()
	d.cfg.HTTPClient.CloseIdleConnections()
	d.log.Info().Msg("webhook dispatcher stopped")
	return nil
}

// Replay moves a dead-lettered event back to the outbox (Store.Replay) and
// wakes the channel's lease loop. The event keeps its body and id. Its
// retry period is still counted from its creation, so a replayed event
// older than RetryFor gets one attempt per replay.
func (d *Dispatcher) Replay(ctx context.Context, channel, eventID string) error {
	if err := d.cfg.Store.Replay(ctx, channel, eventID); err != nil {
		return err
	}
	d.cfg.Wake.EventsReady(channel)
	return nil
}

// leaseLoop leases the ready events of l's channel until ctx (Run's, or
// the channel's removal) ends.
func (d *Dispatcher) leaseLoop(ctx context.Context, l *chanLoop) {
	channel := l.name
	log := d.log.With().Str("channel", channel).Logger()
	idle := minPoll
	var cache requestCache
	for {
		n, ok := d.takeBudget(ctx, d.BatchSize())
		if !ok {
			return
		}
		leasedAt := time.Now()
		evs, err := d.cfg.Store.LeaseEvents(ctx, channel, n)
		d.returnBudget(n - len(evs))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error().Err(err).Msg("lease events")
		}
		if len(evs) > 0 {
			d.dispatch(l, evs, leasedAt, &cache)
			idle = minPoll
			if len(evs) == n {
				continue // there may be more
			}
		}
		if !d.idleWait(ctx, channel, idle) {
			return
		}
		if len(evs) == 0 {
			idle = min(2*idle, d.cfg.PollInterval)
		}
	}
}

// takeBudget waits for one leasing token, then takes up to want-1 more
// without waiting. It returns the number taken, or false when ctx ends.
func (d *Dispatcher) takeBudget(ctx context.Context, want int) (int, bool) {
	select {
	case d.budget <- struct{}{}:
	case <-ctx.Done():
		return 0, false
	}
	n := 1
	for n < want {
		select {
		case d.budget <- struct{}{}:
			n++
		default:
			return n, true
		}
	}
	return n, true
}

// returnBudget gives back n leasing tokens.
func (d *Dispatcher) returnBudget(n int) {
	for range n {
		<-d.budget
	}
}

// idleWait waits for wait, an EventsReady signal of channel, or the end
// of ctx (false).
func (d *Dispatcher) idleWait(ctx context.Context, channel string, wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.cfg.Wake.Events(channel):
	case <-ctx.Done():
		return false
	}
	return true
}

// storeCtx bounds a store call that must happen even during shutdown.
func (d *Dispatcher) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(d.runCtx), storeOpTimeout)
}

// isNotLeased reports a store answer meaning another worker owns the event
// now (its lease expired and it was recovered) or it is gone.
func isNotLeased(err error) bool {
	return errors.Is(err, store.ErrNotLeased) || errors.Is(err, store.ErrNotFound)
}
