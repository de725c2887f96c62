package failover

import (
	"context"
	"time"
)

// Mover moves the never-submitted segments of a channel to the channels
// target names (store.MoveUnsent): target gets a tenant and its numbers
// and returns one channel per number ("" keeps that number where it is).
// It moves recipients of at most limit requests per call and returns how
// many recipients it moved. Segments submitted, or whose outcome is
// unknown, never move.
type Mover interface {
	MoveUnsent(ctx context.Context, from string, target func(tenant string, numbers []string) []string, limit int) (moved int, err error)
}

// MoverFunc adapts a function to Mover.
type MoverFunc func(ctx context.Context, from string, target func(tenant string, numbers []string) []string, limit int) (int, error)

// MoveUnsent calls f.
func (f MoverFunc) MoveUnsent(ctx context.Context, from string, target func(tenant string, numbers []string) []string, limit int) (int, error) {
	return f(ctx, from, target, limit)
}

// Mover figures.
const (
	// MoveBatch is the most requests one MoveUnsent call moves recipients
	// of (store.MoveUnsent's limit).
	MoveBatch = 500
	// MoverLease is the lease of a channel's mover lock: a mover that
	// dies leaves the channel to another replica's after this.
	MoverLease = 10 * time.Second
)

// startMover runs the mover of a down channel on a goroutine the monitor
// owns, unless one runs already in this process.
func (m *Monitor) startMover(ctx context.Context, name string) {
	if _, running := m.moving.LoadOrStore(name, struct{}{}); running {
		return
	}
	m.wg.Go(func() {
		defer m.moving.Delete(name)
		m.move(ctx, name)
	})
}

// move holds the channel's mover lock (one mover per channel in the
// cluster) and calls MoveUnsent until nothing is left to move, the
// channel is back up or ctx ends. The next tick that finds the channel
// still down starts it again, so jobs queued there meanwhile move too.
func (m *Monitor) move(ctx context.Context, name string) {
	st := m.cfg.Store
	ok, err := st.TakeMover(ctx, name, m.cfg.Owner, MoverLease)
	if err != nil || !ok {
		return
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = st.ReleaseMover(rctx, name, m.cfg.Owner)
	}()
	total := 0
	defer func() {
		if total > 0 {
			m.log.Info().Str("channel", name).Int("recipients", total).Msg("moved never-submitted recipients off the failed channel")
		}
	}()
	for ctx.Err() == nil && m.Down(name) {
		n, err := m.cfg.Mover.MoveUnsent(ctx, name, m.cfg.Reroute, MoveBatch)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Warn().Err(err).Str("channel", name).Msg("moving never-submitted recipients failed; retrying at the next tick")
			}
			return
		}
		total += n
		if n == 0 {
			return
		}
		if ok, err := st.TakeMover(ctx, name, m.cfg.Owner, MoverLease); err != nil || !ok {
			return // lost the lock: another replica moves now
		}
	}
}
