package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// QueueStats are the queue depths of one channel.
type QueueStats struct {
	// Pending is the number of jobs in the queues: every active tenant's
	// queues (all priorities) plus the legacy queue. It may include jobs
	// of cancelled requests, which Lease drops when it reaches them.
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

// QueueDepth returns the queue depths of channel (two pipelined round
// trips to the channel's node: the active tenants, then the counts).
func (s *Store) QueueDepth(ctx context.Context, channel string) (QueueStats, error) {
	var st QueueStats
	if err := checkChannel(channel); err != nil {
		return st, err
	}
	tenants, err := s.rdb.ZRange(ctx, s.keys.Active(channel), 0, -1).Result()
	if err != nil {
		return st, fmt.Errorf("store: queue depth: %w", err)
	}
	var cmds [8]*redis.IntCmd
	var tq []*redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range tenants {
			for _, pr := range priorities {
				tq = append(tq, p.LLen(ctx, s.keys.TenantQueue(channel, t, pr)))
			}
		}
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
	for _, c := range tq {
		st.Pending += c.Val()
	}
	return st, nil
}

// priorities lists the priorities, highest first.
var priorities = [...]Priority{PriorityHigh, PriorityNormal, PriorityLow}

// QueuedByTenant returns, per tenant, the jobs waiting in the tenant's
// queues of channel (all priorities): what Lease still has to hand out
// for it. It does not count scheduled retries (they rejoin the tenant's
// queue when due) nor leased jobs. Jobs still in the legacy queue (queued
// by an earlier version, not attributed to a tenant) are under "".
// Tenants with nothing queued are absent.
func (s *Store) QueuedByTenant(ctx context.Context, channel string) (map[string]int64, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	tenants, err := s.rdb.ZRange(ctx, s.keys.Active(channel), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: queued by tenant: %w", err)
	}
	cmds := make([]*redis.IntCmd, 0, 3*len(tenants))
	var legacy *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		legacy = p.LLen(ctx, s.keys.Queue(channel))
		for _, t := range tenants {
			for _, pr := range priorities {
				cmds = append(cmds, p.LLen(ctx, s.keys.TenantQueue(channel, t, pr)))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: queued by tenant: %w", err)
	}
	out := make(map[string]int64, len(tenants)+1)
	if n := legacy.Val(); n > 0 {
		out[""] = n
	}
	for i, t := range tenants {
		var n int64
		for _, c := range cmds[3*i : 3*i+3] {
			n += c.Val()
		}
		if n > 0 {
			out[t] = n
		}
	}
	return out, nil
}
