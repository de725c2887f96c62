package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// MoveUnsentResult counts what MoveUnsent did.
type MoveUnsentResult struct {
	// Requests with recipients moved, and the Recipients and Segments
	// (jobs) moved.
	Requests, Recipients, Segments int64
	// More is true when the call stopped at its limit: call again.
	More bool
}

// MoveUnsent moves, from channel from, the recipients of queued requests none of whose segments may
// have reached an operator, to the channel target names per recipient ("" = stay), at most limit
// requests per call; it returns what it moved and whether more may be left.
//
// A request that named its channel (NewRequest.Pinned) never moves. A
// recipient moves when it is not final and every one of its jobs is
// queued or scheduled and was never leased without a definite answer: a
// job whose lease expired (Recover), or whose SUBMIT may have been written
// (Retry without RetryJob.Unsent: link lost, shutdown), stays. Leased,
// submitted and final jobs stay. target gets the request's tenant and the
// numbers of its movable recipients and returns one channel per number.
//
// A one-channel request whose every recipient moves to the same channel
// moves whole with MoveQueued's steps (move_out.lua then re-checks that no
// job may have been sent). Otherwise each request moves in the steps of a
// transfer (see parts.go):
// unsent_out.lua marks the recipients moved on from and writes the
// transfer record (atomically re-checking each recipient), then the
// recipients are queued on their target in that channel's part of the
// request (part_in.lua, idempotent) and the transfer ends on from
// (part_done.lua). A crash in between is finished by the next MoveUnsent
// on from or by RecoverTransfers: a job is queued on one channel only.
// Transfers from earlier calls still pending on from are finished first.
// The moved jobs' entries in from's queues are then purged (SweepBatch per
// script call, as MoveQueued does).
func (s *Store) MoveUnsent(ctx context.Context, from string,
	target func(tenant string, numbers []string) []string, limit int) (MoveUnsentResult, error) {
	var res MoveUnsentResult
	if err := checkChannel(from); err != nil {
		return res, err
	}
	if limit <= 0 {
		return res, fmt.Errorf("%w: MoveUnsent limit %d: want > 0", ErrInvalid, limit)
	}
	if _, err := s.RecoverTransfers(ctx, from, 0); err != nil {
		return res, err
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
		if res.Requests == int64(limit) {
			res.More = true
			break
		}
		recips, segs, err := s.moveUnsentRequest(ctx, from, id, target)
		if err != nil {
			return res, err
		}
		if recips > 0 {
			res.Requests++
			res.Recipients += recips
			res.Segments += segs
		}
	}
	if res.Requests == 0 {
		return res, nil
	}
	// the moved jobs' entries are dead here: out of the queue counts
	return res, s.purgeQueues(ctx, from, lists)
}

// moveUnsentRequest moves the movable recipients of request id on from
// (see MoveUnsent) and returns the recipients and jobs moved.
func (s *Store) moveUnsentRequest(ctx context.Context, from, id string,
	target func(tenant string, numbers []string) []string) (recips, segs int64, err error) {
	h, err := s.rdb.HGetAll(ctx, s.keys.Request(from, id)).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("store: move unsent: %w", err)
	}
	if to := h[schema.FieldMovingTo]; to != "" && h[schema.FieldCancelledAt] == "" {
		// a whole-request move (below) that stopped half-way: finish it
		moved, segs, err := s.moveRequestIf(ctx, from, to, id, true)
		if !moved || err != nil {
			return 0, 0, err
		}
		n, _ := strconv.Atoi(h[schema.FieldRecipients])
		return int64(n), segs, nil
	}
	if len(h) == 0 || h[schema.FieldCancelledAt] != "" || h[schema.FieldPinned] != "" {
		return 0, 0, nil // gone, cancelled, or its channel was named by the client
	}
	R, _ := strconv.Atoi(h[schema.FieldRecipients])
	S, _ := strconv.Atoi(h[schema.FieldSegments])
	var cand []int
	var numbers []string
	for r := 1; r <= R; r++ {
		if unsentRecipient(h, r, S) {
			cand = append(cand, r)
			numbers = append(numbers, h[recipientField(schema.FieldTo, r)])
		}
	}
	if len(cand) == 0 {
		return 0, 0, nil
	}
	targets := target(h[schema.FieldTenant], numbers)
	if len(targets) != len(cand) {
		return 0, 0, fmt.Errorf("%w: MoveUnsent target returned %d channels for %d numbers", ErrInvalid, len(targets), len(cand))
	}
	groups := map[string][]int{}
	var order []string
	for i, t := range targets {
		if t == "" || t == from {
			continue
		}
		if err := checkChannel(t); err != nil {
			return 0, 0, fmt.Errorf("MoveUnsent target for %s: %w", numbers[i], err)
		}
		if groups[t] == nil {
			order = append(order, t)
		}
		groups[t] = append(groups[t], cand[i])
	}
	if len(order) == 0 {
		return 0, 0, nil
	}
	if len(order) == 1 && len(groups[order[0]]) == R && !hasParts(h) {
		// the whole one-channel request: MoveQueued's steps (its hash and
		// the request index move; no part left behind)
		moved, segs, err := s.moveRequestIf(ctx, from, order[0], id, true)
		if err != nil || moved {
			return int64(R), segs, err
		}
		return 0, 0, nil // no longer wholly unsent: the next call looks again
	}
	args := []any{s.keys.Tag(from), id, ms(s.now())}
	for _, t := range order {
		args = append(args, moveXIDPrefix+nonce(), t, len(groups[t]))
		for _, r := range groups[t] {
			args = append(args, r)
		}
	}
	v, err := s.run(ctx, "move unsent", scriptUnsentOut,
		[]string{s.keys.Request(from, id), s.keys.Sched(from), s.keys.Transfers(from)}, args...)
	if err != nil {
		return 0, 0, err
	}
	moved := int64(len(stringsOf(v)) / 2)
	if moved == 0 {
		return 0, 0, nil
	}
	if _, err := s.forward(ctx, from, id); err != nil {
		return 0, 0, err
	}
	return moved, moved * int64(S), nil
}

// unsentRecipient reports whether local recipient r of request hash h (S
// segments) may move (the Go side of unsent_out.lua's check, which
// decides).
func unsentRecipient(h map[string]string, r, S int) bool {
	if _, done := h[recipientField(schema.FieldRecipientDone, r)]; done {
		return false
	}
	for sg := 1; sg <= S; sg++ {
		rs := strconv.Itoa(r) + ":" + strconv.Itoa(sg)
		st, _, _ := strings.Cut(h[schema.FieldJob+rs], "|")
		if st != "" && st != schema.StateQueued && st != schema.StateScheduled {
			return false
		}
		if h[schema.FieldRecovered+rs] != "" || h[schema.FieldMaybeSent+rs] != "" {
			return false
		}
	}
	return true
}
