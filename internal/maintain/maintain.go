// Package maintain keeps the Redis queues of every channel healthy: on one
// schedule per channel it recovers expired job and event leases (work
// held by a process that died or stalled), ends jobs recovered too often
// (store.Options.MaxRecoveries), and makes submitted segments whose report
// never came final (store.Options.ReportWait), and finishes the transfers
// of recipients to other channels (parts of a request routed over several
// channels, store.RecoverTransfers) that a process died in the middle of.
//
// It is the one place that does so. The sender keeps only the heartbeat of
// the jobs it holds, the webhook dispatcher only the leases of the events
// it holds; neither recovers anything. The package sits between them
// because the work it does belongs to neither: the same recover script
// returns jobs (the sender's) and events (the dispatcher's), and the
// report-wait sweep creates events from jobs. It depends only on the
// store and the wake-up signals, which it uses to start the sender or the
// dispatcher of this process at once on what it recovered or created.
//
// Every replica runs a Maintainer; the scripts are atomic and idempotent,
// so replicas sharing a channel never recover one lease twice.
package maintain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// DefaultInterval is the longest default pass interval (see
// Config.Interval).
const DefaultInterval = 5 * time.Second

// minInterval is the shortest default pass interval: a lease TTL of a
// few nanoseconds passes validation (it is positive) and must not make
// the ticker panic or the passes spin.
const minInterval = 10 * time.Millisecond

// Config configures a Maintainer.
type Config struct {
	// Store holds the queues. Required.
	Store *store.Store
	// Wake receives JobsQueued when jobs were recovered and EventsReady
	// when events were recovered or created. Required; it must know every
	// channel.
	Wake *wake.Hub
	// Channels are maintained, each by its own loop, until SetChannels
	// changes the list. May be empty (channels added at runtime).
	Channels []string
	// Interval is the time between two passes of a channel. Default the
	// smallest of DefaultInterval, LeaseTTL/2 and EventLeaseTTL/2, so a
	// lease is recovered within 1.5 TTL of its last renewal; at least
	// 10 ms.
	Interval time.Duration
	// Logger receives JSON events (component=maintain is added).
	Logger zerolog.Logger
}

// Maintainer runs the passes. Create it with New and start it with Run;
// SetChannels changes the channels maintained while it runs.
type Maintainer struct {
	cfg Config
	log zerolog.Logger

	mu       sync.Mutex
	channels []string                      // the list to follow (Config.Channels, then SetChannels)
	ctx      context.Context               // Run's; nil before Run
	stopped  bool                          // Run's ctx ended: no loop starts any more
	loops    map[string]context.CancelFunc // running loops, by channel
	wg       sync.WaitGroup                // loops
}

// New checks cfg, fills defaults and returns a Maintainer.
func New(cfg Config) (*Maintainer, error) {
	if cfg.Store == nil || cfg.Wake == nil {
		return nil, errors.New("maintain: Config.Store and Config.Wake are required")
	}
	if err := checkChannels(cfg.Wake, cfg.Channels); err != nil {
		return nil, fmt.Errorf("maintain: Config.Channels: %w", err)
	}
	if cfg.Interval <= 0 {
		o := cfg.Store.Options()
		cfg.Interval = max(min(DefaultInterval, o.LeaseTTL/2, o.EventLeaseTTL/2), minInterval)
	}
	return &Maintainer{
		cfg: cfg, log: cfg.Logger.With().Str("component", "maintain").Logger(),
		channels: slices.Clone(cfg.Channels), loops: map[string]context.CancelFunc{},
	}, nil
}

// checkChannels refuses a channel the hub does not know.
func checkChannels(hub *wake.Hub, channels []string) error {
	for _, ch := range channels {
		if !hub.Has(ch) {
			return fmt.Errorf("the wake hub has no channel %q", ch)
		}
	}
	return nil
}

// Run passes over every channel at once (a restart recovers what a crash
// left) and then every Interval, until ctx is cancelled; it returns nil
// when every loop has ended. A slow pass of one channel (a large backlog
// past the report wait) delays no other channel, nor anything in the
// sender or dispatcher.
// It may be called once.
func (m *Maintainer) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.ctx != nil {
		m.mu.Unlock()
		return errors.New("maintain: Maintainer.Run called twice")
	}
	m.ctx = ctx
	m.follow()
	m.mu.Unlock()

	<-ctx.Done()
	m.mu.Lock()
	m.stopped = true // no loop starts after this, so Wait below is final
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// SetChannels makes names the channels maintained: a loop starts for each
// channel not yet maintained (its first pass at once) and the loop of each
// channel not listed stops (a pass in progress ends with it). The caller
// lists every channel that holds data in Redis — active or removed — so a
// removed channel's leases are still recovered until its data is gone.
// Called before Run it sets the channels Run starts with; after Run has
// stopped it only records the list. It refuses (and changes nothing) a
// channel the wake hub does not know. Safe for concurrent use.
func (m *Maintainer) SetChannels(names []string) error {
	if err := checkChannels(m.cfg.Wake, names); err != nil {
		return fmt.Errorf("maintain: SetChannels: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.channels = slices.Clone(names)
	if m.ctx != nil && !m.stopped {
		m.follow()
	}
	return nil
}

// follow starts and stops loops to match m.channels. m.mu is held and Run
// has started.
func (m *Maintainer) follow() {
	want := make(map[string]bool, len(m.channels))
	for _, ch := range m.channels {
		want[ch] = true
	}
	for ch, stop := range m.loops {
		if !want[ch] {
			stop()
			delete(m.loops, ch)
			m.log.Info().Str("channel", ch).Msg("channel no longer maintained")
		}
	}
	for ch := range want {
		if _, ok := m.loops[ch]; ok {
			continue
		}
		ctx, stop := context.WithCancel(m.ctx)
		m.loops[ch] = stop
		m.wg.Go(func() { defer stop(); m.loop(ctx, ch) })
	}
}

func (m *Maintainer) loop(ctx context.Context, channel string) {
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	log := m.log.With().Str("channel", channel).Logger()
	for {
		m.pass(ctx, channel, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pass recovers expired leases, then sweeps the report waits, of one
// channel, and wakes the parts of this process that have new work.
func (m *Maintainer) pass(ctx context.Context, channel string, log zerolog.Logger) {
	st, hub := m.cfg.Store, m.cfg.Wake
	rec, err := st.Recover(ctx, channel)
	switch {
	case err != nil && ctx.Err() != nil:
		return // stopping
	case err != nil:
		log.Warn().Err(err).Msg("lease recovery failed")
	}
	// Wake on partial progress too: Recover may fail after a batch.
	if rec.Jobs > 0 {
		hub.JobsQueued(channel)
	}
	if rec.Events > 0 || rec.Ended > 0 {
		hub.EventsReady(channel) // recovered events, and those of ended jobs
	}
	if rec.Jobs > 0 || rec.Events > 0 {
		log.Info().Int("jobs", rec.Jobs).Int("events", rec.Events).Msg("expired leases recovered")
	}
	if rec.Ended > 0 {
		log.Warn().Int("jobs", rec.Ended).Int("max_recoveries", st.Options().MaxRecoveries).
			Str("error_code", store.ErrCodeWorkerLost).
			Msg("jobs whose lease expired too often made final as unknown (their worker died or stalled each time)")
	}
	// Transfers to the parts of requests routed over several channels that
	// the process which began them did not finish (it died in between):
	// left alone while that process may still be forwarding.
	xn, err := st.RecoverTransfers(ctx, channel, 2*st.Options().CreateDeadline)
	if xn > 0 {
		log.Info().Int("transfers", xn).Msg("transfers of recipients to other channels finished")
	}
	if err != nil && ctx.Err() == nil {
		log.Warn().Err(err).Msg("transfer recovery failed")
	}
	n, err := st.SweepReportWait(ctx, channel, time.Now())
	if n > 0 {
		hub.EventsReady(channel) // recipients made final may have events
		log.Info().Int("jobs", n).Msg("segments without a report made final as unknown")
	}
	if err != nil && ctx.Err() == nil {
		log.Warn().Err(err).Msg("report-wait sweep failed")
	}
}
