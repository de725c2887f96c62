package sender

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// Deps are the shared services a channel uses.
type Deps struct {
	// Store is the Redis queue and state. Required.
	Store *store.Store
	// Metrics receives counters; nil disables them.
	Metrics *metrics.Metrics
	// Logger receives JSON events.
	Logger zerolog.Logger
	// Owner names this process in leases (e.g. hostname + random id).
	Owner string
	// Wake is the process's shared wake-up signals (required; it must
	// know the channel). The leaser waits on Jobs(channel) between polls,
	// so a request queued in this process is sent at once; the channel
	// signals EventsReady(channel) after a store call created webhook
	// events (status reports, final SUBMIT outcomes, complete MO
	// messages), once per batch, so that the dispatcher leases them at
	// once instead of at its next poll.
	Wake *wake.Hub
	// CMPPMO, when set, names the CMPP account that takes an MO message
	// received on channel for Dest_Id dest — the routed tenant has CMPP
	// access — and the Dest_Id of the DELIVER to that account. With ok
	// false (or CMPPMO nil) the MO takes the webhook path. The gateway
	// builds it from the registry snapshot; it must be cheap and must not
	// block.
	CMPPMO func(channel, dest string) (account, destID string, ok bool)
	// Health, when set, is the channels' failover health
	// (failover.Monitor): a channel it reports down leases no new job;
	// its problem Results are retried, not failed; and every SUBMIT
	// outcome and matched report is counted in it.
	Health Health
}

// Health is the failover view of the channels the sender consults and
// feeds. Its methods must be cheap and must not block: they run on the
// send path.
type Health interface {
	// Down reports whether channel is failed over.
	Down(channel string) bool
	// ProblemResult reports whether a SUBMIT_RESP Result means a problem
	// of the channel (the segment was not accepted: retry it).
	ProblemResult(channel string, result uint32) bool
	// Count adds outcomes: SUBMITs accepted, refused for good or
	// unanswered, answered with a problem Result; reports matched, of
	// which failed.
	Count(channel string, accepted, refused, problems, reports, failedReports int)
}

// Channel sends one channel's queue through a pool of links. Create it
// with NewChannel and start it with Run.
type Channel struct {
	set  Settings
	deps Deps
	log  zerolog.Logger
	// collisionLog logs Msg_Id collisions, at most collisionLogBurst lines
	// a second: an ISMG that repeats one Msg_Id collides on every SUBMIT,
	// and the metric counts them all.
	collisionLog zerolog.Logger

	jobs    chan store.Job              // leased jobs waiting for a worker
	acks    *batcher[outcome, struct{}] // worker results → store
	room    chan struct{}               // a worker took a job → leaser
	inHand  inHand                      // leased and not yet recorded, for the heartbeat
	flow    *flowControl                // shared send limit and Result 8 back-off
	reports *batcher[store.ReportIn, store.ReportOutcome]

	mu    sync.Mutex
	links []*cmpp.Link // index = slot; nil while down

	slots *linkSlots // cluster link slots (Settings.MaxLinks > 0), else nil

	ready atomic.Int32 // links logged in

	drainEnd     chan struct{} // closed by EndDrain
	drainEndOnce sync.Once

	given atomic.Bool // given to a Service, which runs it once

	// unacked counts DELIVERs left unacknowledged because their link
	// closed or the drain ended while they were being stored; Run logs
	// the count once as it returns.
	unacked atomic.Int64

	// afterStore, when set (by tests), runs in record between the store
	// calls and the jobs' removal from inHand.
	afterStore func()
	// beforeReports, when set (by tests), runs before each batch of status
	// reports is stored.
	beforeReports func()
}

// NewChannel validates settings and builds a channel.
func NewChannel(set Settings, deps Deps) (*Channel, error) {
	set, err := set.withDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Wake == nil || !deps.Wake.Has(set.Name) {
		return nil, fmt.Errorf("sender: channel %q: Deps.Wake is nil or does not know the channel", set.Name)
	}
	c := &Channel{
		set:  set,
		deps: deps,
		log:  deps.Logger.With().Str("channel", set.Name).Logger(),
		jobs: make(chan store.Job, set.Links*set.Link.Window),
		room: make(chan struct{}, 1),

		drainEnd: make(chan struct{}),
		links:    make([]*cmpp.Link, set.Links),
	}
	if set.MaxLinks > 0 {
		c.slots = newLinkSlots(c)
	}
	c.collisionLog = c.log.Sample(&zerolog.BurstSampler{Burst: collisionLogBurst, Period: time.Second})
	c.inHand.m = map[store.JobID]heldLease{}
	c.flow = newFlowControl(deps.Store, set)
	c.acks = newBatcher(set.Links*set.Link.Window, storeLinger, c.record)
	c.reports = newBatcher(256, storeLinger, func(ctx context.Context, reps []store.ReportIn) ([]store.ReportOutcome, error) {
		if c.beforeReports != nil {
			c.beforeReports()
		}
		outs, err := c.deps.Store.Reports(ctx, c.set.Name, reps)
		c.countReports(reps, outs)
		for _, o := range outs {
			if o.EventID != "" {
				c.eventsCreated()
				break
			}
		}
		return outs, err
	})
	return c, nil
}

// storeLinger is how long the outcome and report batchers hold a batch
// for more items: it adds at most this to a worker's turn-around and to a
// DELIVER_RESP, and at 2,000 messages a second makes each Submitted and
// Reports round trip carry a few items instead of one or two.
const storeLinger = time.Millisecond

// eventsCreated signals that events of this channel were created.
func (c *Channel) eventsCreated() { c.deps.Wake.EventsReady(c.set.Name) }

// Name returns the channel name.
func (c *Channel) Name() string { return c.set.Name }

// Settings returns the channel's settings, defaults filled in (and
// Link.DeliverHandler unset: the channel sets its own on each link).
func (c *Channel) Settings() Settings { return c.set }

// Ready reports whether at least one link is logged in.
func (c *Channel) Ready() bool { return c.ready.Load() > 0 }

// NoLinkSlot reports whether the channel has a cluster link limit
// (Settings.MaxLinks) and this replica holds none of its slots and has no
// link logged in because its last take was refused: it sends nothing on
// the channel, the replicas holding the slots do.
func (c *Channel) NoLinkSlot() bool {
	return c.slots != nil && !c.Ready() && c.slots.starved()
}

// Run sends until ctx is cancelled, then drains: it stops leasing, gives
// back jobs not yet sent, waits (up to DrainTimeout) for in-flight
// responses and stores them, and ends every link with TERMINATE. It
// returns when everything it started has stopped.
func (c *Channel) Run(ctx context.Context) error {
	// hard outlives ctx by the drain: Redis writes and in-flight SUBMITs
	// use it, so outcomes of requests already sent are still stored.
	hard, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	stopDrainTimer := context.AfterFunc(ctx, func() {
		t := time.NewTimer(c.set.DrainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.drainEnd:
		case <-hard.Done(): // drained in time
			return
		}
		hardCancel()
	})
	defer stopDrainTimer()

	var bg sync.WaitGroup // goroutines that stop with hard
	bg.Add(3)
	go func() { defer bg.Done(); c.reports.run(hard) }()
	go func() { defer bg.Done(); c.acks.run(hard) }()
	go func() { defer bg.Done(); c.heartbeat(hard) }()
	if c.slots != nil {
		// hard ends after every link has closed and given its slot back.
		bg.Add(1)
		go func() { defer bg.Done(); c.slots.run(hard) }()
	}

	var senders sync.WaitGroup // leaser and link slots: stop with ctx
	senders.Add(1 + c.set.Links)
	go func() { defer senders.Done(); c.lease(ctx) }()
	for slot := range c.set.Links {
		go func() { defer senders.Done(); c.runSlot(ctx, hard, slot) }()
	}
	senders.Wait()

	// Every worker has stopped and its outcome is stored: give back what
	// was leased but never sent.
	c.releaseUnsent("shutdown")
	hardCancel()
	bg.Wait()
	if n := c.unacked.Swap(0); n > 0 {
		c.log.Info().Int64("delivers", n).Msg("DELIVERs left unacknowledged as links closed; the ISMG resends them")
	}
	c.log.Info().Msg("channel stopped")
	return nil
}

// EndDrain ends the drain of a stopping Run at once, as if DrainTimeout
// had passed: SUBMITs still unanswered are abandoned (their leases expire
// and they are sent again), outcomes not yet stored are left the same way,
// and Run returns promptly. Called before the stop, it makes the drain end
// as soon as it begins. Use it to fit the stop of several parts into one
// shutdown budget.
func (c *Channel) EndDrain() {
	c.drainEndOnce.Do(func() { close(c.drainEnd) })
}

// releaseUnsent returns jobs still waiting for a worker to the queue
// (reason: the retry reason recorded). At shutdown it
// does not use the drain context: after a drain timeout that has ended, and
// these jobs were never sent, so giving them back at once (rather than
// when their leases expire) costs nothing.
func (c *Channel) releaseUnsent(reason string) {
	var back []store.Job
	for {
		select {
		case j := <-c.jobs:
			back = append(back, j)
			continue
		default:
		}
		break
	}
	if len(back) > 0 {
		c.giveBack(back, reason)
	}
}

// inHand is the set of jobs leased by this channel and not yet recorded,
// each marked when the heartbeat found its lease lost (it expired and
// another sender took the job over).
//
// A job whose outcome is being stored is settling: the store call (e.g.
// Submitted, Retry) ends its lease, and the job leaves inHand only once
// the call has returned. The heartbeat still extends it (a failed store
// call is retried, and the lease must hold meanwhile), but a "not leased"
// verdict about it is no loss: it is most likely the store call's own
// doing, and a lease that had really expired shows in the store call's
// result instead (see record).
//
// An entry is one lease of a job, named by the job's attempts count (each
// lease increments it). A job can be recorded (e.g. a Result 8 retry) and
// leased again by this channel between the heartbeat's list and its
// markLost, or between the record and its remove: a verdict about the
// earlier lease must not touch the later one, or the later one would be
// dropped unsent (left leased until the maintainer recovers it, which
// counts towards worker_lost) or go without a heartbeat.
type inHand struct {
	mu sync.Mutex
	m  map[store.JobID]heldLease
}

// heldLease is one lease of a job in hand.
type heldLease struct {
	lease    int  // the job's attempts count when leased
	lost     bool // the heartbeat found this lease lost
	settling bool // its outcome is being stored (see settle)
}

// add records lease (the job's attempts count) of job id as in hand.
func (h *inHand) add(id store.JobID, lease int) {
	h.mu.Lock()
	h.m[id] = heldLease{lease: lease}
	h.mu.Unlock()
}

// remove forgets lease of job id, unless the job was leased again since.
func (h *inHand) remove(id store.JobID, lease int) {
	h.mu.Lock()
	if e, ok := h.m[id]; ok && e.lease == lease {
		delete(h.m, id)
	}
	h.mu.Unlock()
}

// settle marks lease of job id as settling: its outcome is about to be
// stored, which ends the lease. Call it before the store call, and remove
// once the call has returned.
func (h *inHand) settle(id store.JobID, lease int) {
	h.mu.Lock()
	if e, ok := h.m[id]; ok && e.lease == lease {
		e.settling = true
		h.m[id] = e
	}
	h.mu.Unlock()
}

// markLost records that the leases listed (by list) of these jobs are
// gone; a job recorded, settling or leased again since is left alone. It
// returns how many leases in hand it marked.
func (h *inHand) markLost(ids []store.JobID, listed map[store.JobID]int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, id := range ids {
		if e, ok := h.m[id]; ok && e.lease == listed[id] && !e.settling {
			e.lost = true
			h.m[id] = e
			n++
		}
	}
	return n
}

// takeIfOwned removes id when its lease was lost and reports whether the
// job is still ours to send.
func (h *inHand) takeIfOwned(id store.JobID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m[id].lost {
		delete(h.m, id)
		return false
	}
	return true
}

// list returns the jobs in hand whose lease is not known lost, each with
// its lease (for markLost).
func (h *inHand) list() map[store.JobID]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[store.JobID]int, len(h.m))
	for id, e := range h.m {
		if !e.lost {
			out[id] = e.lease
		}
	}
	return out
}
