package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// CreateRequests stores several requests with one pipeline (group
// commit: the CMPP server's SUBMITs of a few milliseconds): errs[i] is
// what CreateRequest would have returned for reqs[i], with the same
// outcome rules (nil stored; ErrExists; ErrOutcomeUnknown only when the
// call failed and the read-back failed too, after the deadline has
// passed; any other error: nothing stored and nothing will be). Invalid
// requests get their ErrInvalid and do not hold up the others.
//
// On a single server (or Sentinel) the index SETs and the create scripts
// of all requests go in one pipeline, each SET before its script (one
// round trip). On a cluster the index lives in other slots, and a cluster
// pipeline runs each node's commands concurrently with the other nodes',
// so the index SETs go in a first pipeline and the scripts of the
// requests whose index was written in a second one (two round trips for
// the whole batch). A script whose call failed is settled with
// resolve.lua, as CreateRequest does.
func (s *Store) CreateRequests(ctx context.Context, reqs []NewRequest) (errs []error) {
	errs = make([]error, len(reqs))
	type item struct {
		i           int
		token       string
		deadline    time.Time
		keys        []string
		args        []any
		set         *redis.StatusCmd
		eval        *redis.Cmd
		indexFailed error
	}
	items := make([]*item, 0, len(reqs))
	for i := range reqs {
		req := &reqs[i]
		if err := req.validate(s.opts); err != nil {
			errs[i] = err
			continue
		}
		created := req.CreatedAt
		if created.IsZero() {
			created = s.now()
		}
		deadline := req.Deadline
		if deadline.IsZero() {
			deadline = s.CreateDeadline()
		}
		if time.Now().After(deadline) {
			errs[i] = fmt.Errorf("%w: create request %s: deadline passed before it was sent", ErrUnavailable, req.ID)
			continue
		}
		it := &item{i: i, token: nonce(), deadline: deadline, keys: s.createKeys(*req)}
		it.args = s.createArgs(*req, created, deadline, it.token)
		items = append(items, it)
	}
	if len(items) == 0 {
		return errs
	}
	sc := scriptCreate.plain
	if s.strictSlots {
		sc = scriptCreate.strict
	}
	_, single := s.rdb.(*redis.Client)
	if !single {
		// Cluster: the index first, in its own pipeline.
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, it := range items {
				req := &reqs[it.i]
				it.set = p.Set(ctx, s.keys.RequestIndex(req.ID), req.Channel, s.opts.IndexTTL)
			}
			return nil
		})
		kept := items[:0]
		for _, it := range items {
			if err := it.set.Err(); err != nil {
				errs[it.i] = fmt.Errorf("store: create request index: %w", err)
				continue
			}
			kept = append(kept, it)
		}
		items = kept
		if len(items) == 0 {
			return errs
		}
	}
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, it := range items {
			req := &reqs[it.i]
			if single {
				it.set = p.Set(ctx, s.keys.RequestIndex(req.ID), req.Channel, s.opts.IndexTTL)
			}
			it.eval = sc.EvalSha(ctx, p, it.keys, it.args...)
		}
		return nil
	})
	for _, it := range items {
		req := reqs[it.i]
		v, err := it.eval.Result()
		if err == nil && single && it.set.Err() != nil {
			err = it.set.Err() // the script ran; the index did not: settle as a failure
		}
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") && (!single || it.set.Err() == nil) {
			// Script not cached yet (nothing ran): EVAL it; the index is written.
			v, err = s.run(ctx, "create request", scriptCreate, it.keys, it.args...)
		}
		if err != nil {
			errs[it.i] = s.settleCreate(ctx, req, it.token, it.deadline, fmt.Errorf("store: create request: %w", err))
			continue
		}
		errs[it.i] = createOutcome(req.ID, v)
	}
	return errs
}

// createOutcome maps create.lua's reply to CreateRequest's error.
func createOutcome(id string, v any) error {
	switch asInt(v) {
	case 1:
		return nil
	case 0:
		return fmt.Errorf("%w: %s", ErrExists, id)
	case -1:
		return fmt.Errorf("%w: create request %s: Redis ran it after its deadline", ErrUnavailable, id)
	case -2:
		return fmt.Errorf("%w: create request %s: the id was voided", ErrUnavailable, id)
	}
	return fmt.Errorf("%w: create request %s: reply %v", ErrBadReply, id, v)
}
