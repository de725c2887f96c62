// Package maintain keeps the Redis queues of every channel healthy: on one
// schedule per channel it recovers expired job and event leases (work
// held by a process that died or stalled), ends jobs recovered too often
// (store.Options.MaxRecoveries), and makes submitted segments whose report
// never came final (store.Options.ReportWait).
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
	// Channels are maintained, each by its own loop. At least one.
	Channels []string
	// Interval is the time between two passes of a channel. Default the
	// smallest of DefaultInterval, LeaseTTL/2 and EventLeaseTTL/2, so a
	// lease is recovered within 1.5 TTL of its last renewal; at least
	// 10 ms.
	Interval time.Duration
	// Logger receives JSON events (component=maintain is added).
	Logger zerolog.Logger
}

// Maintainer runs the passes. Create it with New and start it with Run.
type Maintainer struct {
	cfg Config
	log zerolog.Logger
}

// New checks cfg, fills defaults and returns a Maintainer.
func New(cfg Config) (*Maintainer, error) {
	if cfg.Store == nil || cfg.Wake == nil {
		return nil, errors.New("maintain: Config.Store and Config.Wake are required")
	}
	if len(cfg.Channels) == 0 {
		return nil, errors.New("maintain: Config.Channels is empty")
	}
	for _, ch := range cfg.Channels {
		if !cfg.Wake.Has(ch) {
			return nil, fmt.Errorf("maintain: Config.Channels: the wake hub has no channel %q", ch)
		}
	}
	if cfg.Interval <= 0 {
		o := cfg.Store.Options()
		cfg.Interval = max(min(DefaultInterval, o.LeaseTTL/2, o.EventLeaseTTL/2), minInterval)
	}
	return &Maintainer{cfg: cfg, log: cfg.Logger.With().Str("component", "maintain").Logger()}, nil
}

// Run passes over every channel at once (a restart recovers what a crash
// left) and then every Interval, until ctx is cancelled; it returns nil
// when every loop has ended. A slow pass of one channel (a large backlog
// past the report wait) delays no other channel, nor anything in the
// sender or dispatcher.
func (m *Maintainer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, ch := range m.cfg.Channels {
		wg.Go(func() { m.loop(ctx, ch) })
	}
	wg.Wait()
	return nil
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
	n, err := st.SweepReportWait(ctx, channel, time.Now())
	if n > 0 {
		hub.EventsReady(channel) // recipients made final may have events
		log.Info().Int("jobs", n).Msg("segments without a report made final as unknown")
	}
	if err != nil && ctx.Err() == nil {
		log.Warn().Err(err).Msg("report-wait sweep failed")
	}
}
