package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxCreateGroup bounds the requests one create_many.lua call stores (the
// script blocks Redis while it runs).
const maxCreateGroup = 64

// CreateRequests stores several requests at once (group commit: the CMPP
// server's SUBMITs of a few milliseconds): errs[i] is what CreateRequest
// would have returned for reqs[i], with the same outcome rules (nil
// stored; ErrExists; ErrOutcomeUnknown only when the call failed and the
// read-back failed too, after the deadline has passed; any other error:
// nothing stored and nothing will be). Invalid requests get their
// ErrInvalid and do not hold up the others.
//
// The requests of one channel (up to 64 at a time) are stored by one
// create_many.lua call, which decides for each exactly as create.lua
// would (void marker, existing id, deadline) and queues their jobs with
// one RPUSH per tenant queue: about half the Redis CPU of one create.lua
// per request. On a single server (or Sentinel) the index SETs and the
// scripts go in one pipeline, the SETs first (one round trip). On a
// cluster the index lives in other slots and a cluster pipeline runs each
// node's commands concurrently, so the SETs go in a first pipeline and the
// scripts of the requests whose index was written in a second one. The
// requests of a script call that failed are settled one by one with
// resolve.lua, as CreateRequest does. A request whose recipients are on
// several channels is created by CreateRequest.
func (s *Store) CreateRequests(ctx context.Context, reqs []NewRequest) (errs []error) {
	errs = make([]error, len(reqs))
	items := make([]*createItem, 0, len(reqs))
	for i := range reqs {
		req := &reqs[i]
		if err := req.validate(s.opts); err != nil {
			errs[i] = err
			continue
		}
		if req.plan() != nil {
			// recipients on several channels: create.lua's transfer
			// record and forwarding (parts.go), one request at a time
			errs[i] = s.CreateRequest(ctx, *req)
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
		it := &createItem{i: i, token: nonce(), deadline: deadline}
		meta := createMeta(*req, created)
		it.block = append(make([]any, 0, 9+len(meta)+len(req.Recipients)+2*len(req.Segments)),
			req.ID, len(req.Recipients), len(req.Segments), ms(deadline), it.token,
			req.Tenant, req.UTCOffset, req.Priority.code(), len(meta))
		it.block = appendContent(append(it.block, meta...), *req)
		items = append(items, it)
	}
	if len(items) == 0 {
		return errs
	}
	_, single := s.rdb.(*redis.Client)
	if !single {
		items = s.writeIndexes(ctx, reqs, items, errs)
	}
	groups := s.createGroups(reqs, items)
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, g := range groups {
			if single {
				for _, it := range g.items {
					req := &reqs[it.i]
					it.set = p.Set(ctx, s.keys.RequestIndex(req.ID), req.Channel, s.opts.IndexTTL)
				}
			}
			g.eval = s.scriptFor(scriptCreateMany).EvalSha(ctx, p, g.keys, g.args...)
		}
		return nil
	})
	for _, g := range groups {
		s.createOutcomes(ctx, reqs, g, single, errs)
	}
	return errs
}

// createItem is one valid request of CreateRequests.
type createItem struct {
	i        int // index in reqs
	token    string
	deadline time.Time
	block    []any // its ARGVs of create_many.lua
	set      *redis.StatusCmd
}

// createGroup is one create_many.lua call.
type createGroup struct {
	items []*createItem
	keys  []string
	args  []any
	eval  *redis.Cmd
}

// writeIndexes writes the request index of items in one pipeline
// (cluster) and returns the items whose index was written; the others
// get their error (nothing was sent for them).
func (s *Store) writeIndexes(ctx context.Context, reqs []NewRequest, items []*createItem, errs []error) []*createItem {
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
	return kept
}

// createGroups splits items by channel, in order, at most maxCreateGroup
// per call.
func (s *Store) createGroups(reqs []NewRequest, items []*createItem) []*createGroup {
	var groups []*createGroup
	open := map[string]*createGroup{}
	for _, it := range items {
		ch := reqs[it.i].Channel
		g := open[ch]
		if g == nil || len(g.items) == maxCreateGroup {
			g = &createGroup{keys: []string{s.keys.Active(ch), s.keys.VClock(ch)},
				args: []any{s.keys.Tag(ch), ms(s.now()), secs(s.opts.UsageRetention)}}
			open[ch] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, it)
		g.args = append(g.args, it.block...)
	}
	return groups
}

// createOutcomes sets errs for the requests of group g.
func (s *Store) createOutcomes(ctx context.Context, reqs []NewRequest, g *createGroup, single bool, errs []error) {
	v, err := g.eval.Result()
	indexOK := true
	for _, it := range g.items {
		if single && it.set.Err() != nil {
			indexOK = false
		}
	}
	if err != nil && indexOK && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// Script not cached yet (nothing ran): EVAL it; the indexes are written.
		v, err = s.run(ctx, "create requests", scriptCreateMany, g.keys, g.args...)
	}
	codes, ok := asSlice(v)
	if err == nil && (!ok || len(codes) != len(g.items)) {
		err = fmt.Errorf("%w: create requests reply %v", ErrBadReply, v)
	}
	for k, it := range g.items {
		req := reqs[it.i]
		switch {
		case err != nil:
			errs[it.i] = s.settleCreate(ctx, req, it.token, it.deadline, fmt.Errorf("store: create requests: %w", err))
		case single && it.set.Err() != nil:
			// Stored without its index: settle as a failed call.
			errs[it.i] = s.settleCreate(ctx, req, it.token, it.deadline, fmt.Errorf("store: create request index: %w", it.set.Err()))
		default:
			errs[it.i] = createOutcome(req.ID, codes[k])
		}
	}
}

// scriptFor is sc in the form the store uses.
func (s *Store) scriptFor(sc *script) *redis.Script {
	if s.strictSlots {
		return sc.strict
	}
	return sc.plain
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
