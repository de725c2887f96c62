package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// ErrCodeChannelRemoved is the error code for FailQueued when a channel
// was removed from the configuration.
const ErrCodeChannelRemoved = "channel_removed"

// FailQueued makes every queued and scheduled job of channel (not leased,
// not submitted) final 'failed' with error code code, as for any final
// outcome: recipients roll up, sms.status events are created, usage is
// counted. It is for a removed channel whose links are stopped (jobs
// leased when it stopped come back through Recover: call it again then).
// It works in chunks of SweepBatch jobs per script call, one queue list
// (rotated once) or the scheduled retries at a time. Jobs of a request
// that MoveQueued has begun to move are left in place, so that a rerun of
// MoveQueued finds and finishes the move. It returns the number of jobs
// (segments) failed.
func (s *Store) FailQueued(ctx context.Context, channel, code string) (segments int64, err error) {
	if err := checkChannel(channel); err != nil {
		return 0, err
	}
	if code == "" {
		return 0, fmt.Errorf("%w: FailQueued code: empty", ErrInvalid)
	}
	lists, err := s.queueLists(ctx, channel)
	if err != nil {
		return 0, err
	}
	n := int64(s.opts.SweepBatch)
	for _, l := range lists {
		left, err := s.rdb.LLen(ctx, l.key).Result()
		if err != nil {
			return segments, fmt.Errorf("store: fail queued: %w", err)
		}
		for left > 0 {
			failed, read, _, err := s.failChunk(ctx, channel, l.key, code, min(n, left), "q", l.tenant)
			segments += failed
			if err != nil {
				return segments, err
			}
			if read == 0 {
				break
			}
			left -= read
		}
	}
	for off := int64(0); ; {
		failed, read, kept, err := s.failChunk(ctx, channel, s.keys.Sched(channel), code, n, "z", off)
		segments += failed
		if err != nil {
			return segments, err
		}
		off += kept
		if read < n {
			return segments, nil
		}
	}
}

// failChunk runs fail_queued.lua on one chunk of key (kind "q": a queue
// list of tenant arg; "z": the sched zset from offset arg) and returns the
// jobs failed, read and kept (moving requests).
func (s *Store) failChunk(ctx context.Context, channel, key, code string, n int64, kind string, arg any) (failed, read, kept int64, err error) {
	v, err := s.run(ctx, "fail queued", scriptFailQueued,
		[]string{key, s.keys.Active(channel), s.keys.Picks(channel), s.keys.EventQueue(channel)},
		s.keys.Tag(channel), ms(s.now()), n, cleanField(code), secs(s.opts.Retention),
		nonce(), secs(s.opts.UsageRetention), kind, arg)
	if err != nil {
		return 0, 0, 0, err
	}
	a, _ := asSlice(v)
	if len(a) != 4 {
		return 0, 0, 0, fmt.Errorf("%w: fail queued reply %v", ErrBadReply, v)
	}
	failed, read, kept = int64(asInt(a[0])), int64(asInt(a[1])), int64(asInt(a[2]))
	return failed, read, kept, s.finalized(ctx, stringsOf(a[3]))
}

// MoveResult counts what MoveQueued did.
type MoveResult struct {
	// Requests moved (by this call, or finished by it after an earlier
	// call stopped half-way) and their Segments (jobs).
	Requests, Segments int64
	// LeftRequests stay on the source channel: some of their jobs were
	// leased or submitted already (or they are cancelled or partly final).
	LeftRequests int64
}

// MoveQueued moves to channel to every request of channel from whose jobs
// are all still queued or scheduled, keeping its tenant, priority and
// weight: its jobs are queued on to (tail of the tenant's queue) and GET
// reads it from to. Requests with a job leased, submitted or final stay on
// from and are counted in LeftRequests. The source channel's links should
// be stopped.
//
// Each request moves in four steps, each idempotent, so a rerun after a
// crash half-way finishes what was begun (requests are found through
// from's queues, where their jobs stay until the last step): mark it on
// from (move_out.lua; from then on from's scripts leave its jobs alone),
// copy it to to and queue its jobs there (move_in.lua; in a Redis Cluster
// the two channels may be on different nodes, so the copy goes through
// this process), point the request index at to, delete the source copy
// (move_done.lua). Finally from's queues are purged of the moved jobs,
// SweepBatch jobs per script call.
func (s *Store) MoveQueued(ctx context.Context, from, to string) (MoveResult, error) {
	var res MoveResult
	if err := checkChannel(from); err != nil {
		return res, err
	}
	if err := checkChannel(to); err != nil {
		return res, err
	}
	if from == to {
		return res, fmt.Errorf("%w: MoveQueued to: same channel as from (%q)", ErrInvalid, from)
	}
	lists, err := s.queueLists(ctx, from)
	if err != nil {
		return res, err
	}
	ids, err := s.queuedRequests(ctx, from, lists)
	if err != nil {
		return res, err
	}
	for _, id := range ids {
		moved, segs, err := s.moveRequest(ctx, from, to, id)
		if err != nil {
			return res, err
		}
		switch {
		case moved:
			res.Requests++
			res.Segments += segs
		case segs < 0:
			res.LeftRequests++
		}
	}
	return res, s.purgeQueues(ctx, from, lists)
}

// queueList is one queue list of a channel and its tenant ("" for the
// legacy queue).
type queueList struct{ key, tenant string }

// queueLists returns the legacy queue and every active tenant's queues.
func (s *Store) queueLists(ctx context.Context, channel string) ([]queueList, error) {
	tenants, err := s.rdb.ZRange(ctx, s.keys.Active(channel), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list tenants: %w", err)
	}
	out := []queueList{{key: s.keys.Queue(channel)}}
	for _, t := range tenants {
		for _, p := range priorities {
			out = append(out, queueList{key: s.keys.TenantQueue(channel, t, p), tenant: t})
		}
	}
	return out, nil
}

// queuedRequests returns the distinct request ids of the jobs in channel's
// queues and scheduled retries, in queue order, read in pages.
func (s *Store) queuedRequests(ctx context.Context, channel string, lists []queueList) ([]string, error) {
	const page = 1000
	seen := map[string]bool{}
	var ids []string
	add := func(jobs []string) {
		for _, j := range jobs {
			id, _, _, err := JobID(j).Split()
			if err == nil && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	for _, l := range lists {
		for start := int64(0); ; start += page {
			jobs, err := s.rdb.LRange(ctx, l.key, start, start+page-1).Result()
			if err != nil {
				return nil, fmt.Errorf("store: read queue: %w", err)
			}
			add(jobs)
			if len(jobs) < page {
				break
			}
		}
	}
	for start := int64(0); ; start += page {
		jobs, err := s.rdb.ZRange(ctx, s.keys.Sched(channel), start, start+page-1).Result()
		if err != nil {
			return nil, fmt.Errorf("store: read scheduled jobs: %w", err)
		}
		add(jobs)
		if len(jobs) < page {
			break
		}
	}
	return ids, nil
}

// moveRequest runs the steps of MoveQueued for request id. It returns
// moved with the request's segments, or segs -1 when the request stays on
// from (not wholly queued), or neither when it is gone (moved already).
func (s *Store) moveRequest(ctx context.Context, from, to, id string) (moved bool, segs int64, err error) {
	return s.moveRequestIf(ctx, from, to, id, false)
}

// moveRequestIf is moveRequest; with unsentOnly, the request moves only if
// none of its jobs may have been sent (MoveUnsent: see move_out.lua).
func (s *Store) moveRequestIf(ctx context.Context, from, to, id string, unsentOnly bool) (moved bool, segs int64, err error) {
	h, state, err := s.moveOutIf(ctx, from, to, id, unsentOnly)
	if err != nil || state != "ok" {
		if state == "left" {
			segs = -1
		}
		return false, segs, err
	}
	segs, sched, err := s.moveIn(ctx, from, to, id, h)
	if err != nil {
		return false, 0, err
	}
	if err := s.rdb.Set(ctx, s.keys.RequestIndex(id), to, s.opts.IndexTTL).Err(); err != nil {
		return false, 0, fmt.Errorf("store: move request index: %w", err)
	}
	done := append([]any{to}, sched...)
	if _, err := s.run(ctx, "move done", scriptMoveDone, []string{s.keys.Request(from, id), s.keys.Sched(from)}, done...); err != nil {
		return false, 0, err
	}
	return true, segs, nil
}

// moveOut marks request id of from as moving to to (move_out.lua) and
// returns its hash as field, value pairs when state is "ok"; state "left"
// means it stays, "gone" that it is not on from.
func (s *Store) moveOut(ctx context.Context, from, to, id string) (h []string, state string, err error) {
	return s.moveOutIf(ctx, from, to, id, false)
}

// moveOutIf is moveOut; unsentOnly adds move_out.lua's never-sent check.
func (s *Store) moveOutIf(ctx context.Context, from, to, id string, unsentOnly bool) (h []string, state string, err error) {
	v, err := s.run(ctx, "move out", scriptMoveOut, []string{s.keys.Request(from, id)},
		s.keys.Tag(from), id, to, boolFlag(unsentOnly))
	if err != nil {
		return nil, "", err
	}
	a, _ := asSlice(v)
	if len(a) == 0 {
		return nil, "", fmt.Errorf("%w: move out reply %v", ErrBadReply, v)
	}
	switch state = asString(a[0]); state {
	case "gone", "left":
		return nil, state, nil
	case "ok":
		if len(a) == 2 {
			return stringsOf(a[1]), state, nil
		}
	}
	return nil, "", fmt.Errorf("%w: move out reply %v", ErrBadReply, v)
}

// moveIn stores the copy of request id (hash h, as read on from) on to
// and queues its jobs there (move_in.lua): channel becomes to, scheduled
// jobs are queued. It returns the request's segments (R×S) and the jobs
// that were scheduled on from.
func (s *Store) moveIn(ctx context.Context, from, to, id string, h []string) (segs int64, sched []any, err error) {
	args := make([]any, 0, 3+len(h))
	args = append(args, s.keys.Tag(to), id, from)
	var R, S int64
	for i := 0; i+1 < len(h); i += 2 {
		f, val := h[i], h[i+1]
		switch {
		case f == schema.FieldMovingTo, f == schema.FieldMovedFrom:
			// move_in sets mvfrom to this move's source; an earlier
			// move's would make a rerun take its own copy for another
			// request.
			continue
		case f == schema.FieldChannel:
			val = to
		case f == schema.FieldRecipients:
			R, _ = strconv.ParseInt(val, 10, 64)
		case f == schema.FieldSegments:
			S, _ = strconv.ParseInt(val, 10, 64)
		case strings.HasPrefix(f, schema.FieldJob) && strings.HasPrefix(val, schema.StateScheduled+"|"):
			// a scheduled retry is queued at once on the new channel
			// (job id "<id>:<r>:<s>" from field "j:<r>:<s>")
			sched = append(sched, id+":"+f[len(schema.FieldJob):])
			val = schema.StateQueued + val[len(schema.StateScheduled):]
		}
		args = append(args, f, val)
	}
	in, err := s.run(ctx, "move in", scriptMoveIn,
		[]string{s.keys.Request(to, id), s.keys.Active(to), s.keys.VClock(to)}, args...)
	if err != nil {
		return 0, nil, err
	}
	if asInt(in) < 0 {
		return 0, nil, fmt.Errorf("%w: move request %s: channel %s has another request with this id", ErrExists, id, to)
	}
	return R * S, sched, nil
}

// purgeQueues removes from channel's queue lists the jobs of requests that
// no longer exist there (moved away), rotating each list once.
func (s *Store) purgeQueues(ctx context.Context, channel string, lists []queueList) error {
	n := int64(s.opts.SweepBatch)
	for _, l := range lists {
		left, err := s.rdb.LLen(ctx, l.key).Result()
		if err != nil {
			return fmt.Errorf("store: purge queue: %w", err)
		}
		for left > 0 {
			v, err := s.run(ctx, "purge queue", scriptPurgeQueue,
				[]string{l.key, s.keys.Active(channel), s.keys.Picks(channel)},
				s.keys.Tag(channel), min(n, left), l.tenant)
			if err != nil {
				return err
			}
			a, _ := asSlice(v)
			if len(a) != 2 {
				return fmt.Errorf("%w: purge queue reply %v", ErrBadReply, v)
			}
			popped := int64(asInt(a[0]))
			if popped == 0 {
				break
			}
			left -= popped
		}
	}
	return nil
}
