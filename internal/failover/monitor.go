package failover

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/store"
)

// Config is what a Monitor needs.
type Config struct {
	// Store keeps the cluster-wide health. Required.
	Store *store.Store
	// Owner names this process (e.g. the sender's lease owner). Required.
	Owner string
	// Logger receives one warn line per switch.
	Logger zerolog.Logger
	// Metrics, when set, counts switches and shows the state.
	Metrics *metrics.Metrics
	// Ready maps each channel this process runs to whether one of its
	// links is logged in (sender.Service.ChannelsReady); nil: none.
	Ready func() map[string]bool
	// Mover and Reroute move the never-submitted segments of a down
	// channel (see Mover); either nil: nothing moves.
	Mover   Mover
	Reroute func(tenant string, numbers []string) []string
	// Tick is how often the counters are flushed and the rules evaluated.
	// Default 1s.
	Tick time.Duration
}

// DefaultTick is the default of Config.Tick.
const DefaultTick = time.Second

// Monitor keeps the failover health of the channels of this process in
// step with the cluster: it counts SUBMIT and report outcomes in memory
// (Count), once per Tick per channel flushes them and evaluates the rules
// in Redis (store.HealthTick), and serves the last state it saw to the
// sender's gate and the router (Down). Create it with NewMonitor, give it
// the channels' rules with SetRules, and run it with Run.
type Monitor struct {
	cfg Config
	log zerolog.Logger

	mu       sync.RWMutex
	channels map[string]*channel

	moving sync.Map // channel name -> struct{}: a mover runs
	wg     sync.WaitGroup
}

// channel is one monitored channel.
type channel struct {
	rules atomic.Pointer[Rules] // SetRules replaces it while ticks read it
	down  atomic.Bool
	rule  atomic.Value // string: the rule that tripped it

	accepted, refused, problems, reports, failedReports atomic.Int64
}

// NewMonitor builds a monitor with no channel.
func NewMonitor(cfg Config) (*Monitor, error) {
	if cfg.Store == nil || cfg.Owner == "" {
		return nil, errors.New("failover: Store and Owner required")
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	return &Monitor{cfg: cfg, log: cfg.Logger.With().Str("component", "failover").Logger(),
		channels: map[string]*channel{}}, nil
}

// SetRules replaces the monitored channels and their rules. A channel
// that stays keeps its counts and state; one that goes stops being
// evaluated by this process (its gauge is dropped).
func (m *Monitor) SetRules(rules map[string]Rules) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.channels {
		if _, ok := rules[name]; !ok {
			delete(m.channels, name)
			if m.cfg.Metrics != nil {
				m.cfg.Metrics.ChannelDown.DeleteLabelValues(name)
			}
		}
	}
	for name, r := range rules {
		r.ProblemResults = slices.Clone(r.ProblemResults)
		if c := m.channels[name]; c != nil {
			c.rules.Store(&r)
			continue
		}
		c := &channel{}
		c.rules.Store(&r)
		c.rule.Store("")
		m.channels[name] = c
	}
}

func (m *Monitor) get(name string) *channel {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.channels[name]
}

// Down reports whether channel is failed over (as of this process's last
// tick): its sender leases nothing and the router sends it nothing.
func (m *Monitor) Down(channel string) bool {
	c := m.get(channel)
	return c != nil && c.down.Load()
}

// DownChannels maps every channel failed over to the rule that tripped it.
func (m *Monitor) DownChannels() map[string]string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]string{}
	for name, c := range m.channels {
		if c.down.Load() {
			out[name] = c.rule.Load().(string)
		}
	}
	return out
}

// ProblemResult reports whether result is a problem Result of channel:
// the sender retries such a segment instead of failing it.
func (m *Monitor) ProblemResult(channel string, result uint32) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.channels[channel]
	return c != nil && c.rules.Load().isProblem(result)
}

// Count adds outcomes of channel to this process's counts (memory only;
// flushed at the next tick): SUBMITs accepted, refused for good (or
// unanswered), answered with a problem Result, and status reports matched,
// of which failed ones.
func (m *Monitor) Count(channel string, accepted, refused, problems, reports, failedReports int) {
	c := m.get(channel)
	if c == nil {
		return
	}
	c.accepted.Add(int64(accepted))
	c.refused.Add(int64(refused))
	c.problems.Add(int64(problems))
	c.reports.Add(int64(reports))
	c.failedReports.Add(int64(failedReports))
}

// Run ticks every Tick until ctx ends, then waits for the movers it
// started.
func (m *Monitor) Run(ctx context.Context) {
	defer m.wg.Wait()
	t := time.NewTicker(m.cfg.Tick)
	defer t.Stop()
	for {
		m.TickOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// TickOnce flushes and evaluates every channel once (Run calls it every
// Tick).
func (m *Monitor) TickOnce(ctx context.Context) {
	var ready map[string]bool
	if m.cfg.Ready != nil {
		ready = m.cfg.Ready()
	}
	m.mu.RLock()
	names := slices.Sorted(maps.Keys(m.channels))
	m.mu.RUnlock()
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		if c := m.get(name); c != nil {
			m.tick(ctx, name, c, ready[name])
		}
	}
}

// tick flushes one channel's counts and applies the state the store
// returns; on a store error the counts go back for the next tick and the
// last state stays.
func (m *Monitor) tick(ctx context.Context, name string, c *channel, linkUp bool) {
	counts := store.HealthCounts{
		Accepted: int(c.accepted.Swap(0)), Refused: int(c.refused.Swap(0)), Problems: int(c.problems.Swap(0)),
		Reports: int(c.reports.Swap(0)), FailedReports: int(c.failedReports.Swap(0)),
	}
	tctx, cancel := context.WithTimeout(ctx, 5*m.cfg.Tick)
	st, err := m.cfg.Store.HealthTick(tctx, name, linkUp, counts, c.rules.Load().storeRules(m.cfg.Tick))
	cancel()
	if err != nil {
		m.Count(name, counts.Accepted, counts.Refused, counts.Problems, counts.Reports, counts.FailedReports)
		if ctx.Err() == nil {
			m.log.Warn().Err(err).Str("channel", name).Msg("failover health tick failed; the channel keeps its last state")
		}
		return
	}
	c.down.Store(st.Down)
	c.rule.Store(st.Rule)
	if !st.Down {
		c.rule.Store("")
	}
	m.report(name, st)
	if st.Down && m.cfg.Mover != nil && m.cfg.Reroute != nil {
		m.startMover(ctx, name)
	}
}

// report logs and counts a transition this process performed, and sets
// the state gauge.
func (m *Monitor) report(name string, st store.HealthState) {
	if mt := m.cfg.Metrics; mt != nil {
		v := 0.0
		if st.Down {
			v = 1
		}
		mt.ChannelDown.WithLabelValues(name).Set(v)
	}
	if !st.Tripped && !st.Recovered {
		return
	}
	dir, msg := "down", "channel failed over: it takes no new traffic, and its never-submitted segments move to other channels"
	if st.Recovered {
		dir, msg = "up", "channel failed back: it takes traffic again"
	}
	m.log.Warn().Str("channel", name).Str("rule", st.Rule).Str("direction", dir).
		Dur("no_link_for", st.NoLinkFor).Int("segments", st.Segments).Int("bad", st.Bad).
		Int("problems", st.Problems).Int("accepted", st.Accepted).Msg(msg)
	if mt := m.cfg.Metrics; mt != nil {
		mt.FailoverSwitches.WithLabelValues(name, st.Rule, dir).Inc()
	}
}
