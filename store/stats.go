package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// QueueStats are the queue depths of one channel.
type QueueStats struct {
	// Pending is the length of the job queue. It may include jobs of
	// cancelled requests, which Lease drops when it reaches them.
	Pending int64
	// Scheduled jobs wait for a delayed retry.
	Scheduled int64
	// Leased jobs are being sent.
	Leased int64
	// AwaitingReports are submitted jobs waiting for a status report.
	AwaitingReports int64
	// EventsReady, EventsScheduled, EventsLeased and EventsDead count
	// webhook events by state.
	EventsReady, EventsScheduled, EventsLeased, EventsDead int64
}

// QueueDepth returns the queue depths of channel (one pipelined round trip
// to the channel's node).
func (s *Store) QueueDepth(ctx context.Context, channel string) (QueueStats, error) {
	var st QueueStats
	if err := checkChannel(channel); err != nil {
		return st, err
	}
	var cmds [8]*redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		cmds[0] = p.LLen(ctx, s.keys.Queue(channel))
		cmds[1] = p.ZCard(ctx, s.keys.Sched(channel))
		cmds[2] = p.ZCard(ctx, s.keys.Lease(channel))
		cmds[3] = p.ZCard(ctx, s.keys.Await(channel))
		cmds[4] = p.LLen(ctx, s.keys.EventQueue(channel))
		cmds[5] = p.ZCard(ctx, s.keys.EventSched(channel))
		cmds[6] = p.ZCard(ctx, s.keys.EventLease(channel))
		cmds[7] = p.ZCard(ctx, s.keys.EventDead(channel))
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("store: queue depth: %w", err)
	}
	st = QueueStats{
		Pending: cmds[0].Val(), Scheduled: cmds[1].Val(), Leased: cmds[2].Val(),
		AwaitingReports: cmds[3].Val(), EventsReady: cmds[4].Val(), EventsScheduled: cmds[5].Val(),
		EventsLeased: cmds[6].Val(), EventsDead: cmds[7].Val(),
	}
	return st, nil
}
