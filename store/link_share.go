package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// SlotShare names one replica's part in the link slots of a scope shared
// fairly by live replicas: a channel's operator account, whose
// channels[].max_links bounds the logged-in links of the whole cluster
// (lua/link_share.lua). Link ids are LinkID(Owner, index).
type SlotShare struct {
	// Scope names the slots, e.g. "ch:<channel>".
	Scope string
	// Owner names this replica (unique per process, no '/').
	Owner string
	// Max is the cluster-wide limit (at least 1).
	Max int
	// Want is the most slots this replica uses (its links).
	Want int
	// Lease is how long a slot, and the replica's liveness, lasts without
	// a renewal.
	Lease time.Duration
}

// LinkID returns the slot id of link index of owner.
func (sh SlotShare) LinkID(index int) string { return sh.Owner + "/" + strconv.Itoa(index) }

func (sh SlotShare) check() error {
	if err := checkSlot(sh.Scope, sh.Owner, sh.Lease); err != nil {
		return err
	}
	if strings.Contains(sh.Owner, "/") || sh.Max < 1 || sh.Want < 1 {
		return fmt.Errorf("%w: slot share owner %q, max %d, want %d", ErrInvalid, sh.Owner, sh.Max, sh.Want)
	}
	return nil
}

func (sh SlotShare) args(now time.Time) []any {
	return []any{ms(now), ms(now.Add(sh.Lease)), sh.Max, sh.Lease.Milliseconds(), sh.Owner, sh.Want}
}

// TakeSharedSlot registers the replica as live and takes the slot of its
// link index if fewer than Max are held cluster-wide and the replica holds
// fewer than its share; share is the replica's share now (one Redis call).
func (s *Store) TakeSharedSlot(ctx context.Context, sh SlotShare, index int) (ok bool, share int, err error) {
	if err := sh.check(); err != nil {
		return false, 0, err
	}
	keys := []string{s.keys.LinkSlots(sh.Scope), s.keys.LinkReplicas(sh.Scope)}
	v, err := s.run(ctx, "take shared link slot", scriptShareTake, keys, append(sh.args(s.now()), sh.LinkID(index))...)
	if err != nil {
		return false, 0, err
	}
	a, good := asSlice(v)
	if !good || len(a) != 2 {
		return false, 0, fmt.Errorf("%w: take shared link slot reply %v", ErrBadReply, v)
	}
	return asInt(a[0]) == 1, asInt(a[1]), nil
}

// RenewSharedSlots is the replica's heartbeat: it keeps the replica live,
// extends the leases of the slots of indexes, and returns its share now
// and the indexes whose slot had expired (their links must close at once:
// the slot may be another replica's now). Slots above share are the
// caller's to give back (ReleaseLinkSlot once their links have closed).
func (s *Store) RenewSharedSlots(ctx context.Context, sh SlotShare, indexes []int) (share int, lost []int, err error) {
	if err := sh.check(); err != nil {
		return 0, nil, err
	}
	args := sh.args(s.now())
	byID := make(map[string]int, len(indexes))
	for _, i := range indexes {
		id := sh.LinkID(i)
		byID[id] = i
		args = append(args, id)
	}
	keys := []string{s.keys.LinkSlots(sh.Scope), s.keys.LinkReplicas(sh.Scope)}
	v, err := s.run(ctx, "renew shared link slots", scriptShareRenew, keys, args...)
	if err != nil {
		return 0, nil, err
	}
	a, good := asSlice(v)
	if !good || len(a) < 1 {
		return 0, nil, fmt.Errorf("%w: renew shared link slots reply %v", ErrBadReply, v)
	}
	for _, id := range stringsOf(a[1:]) {
		if i, ok := byID[id]; ok {
			lost = append(lost, i)
		}
	}
	return asInt(a[0]), lost, nil
}

// LeaveSharedSlots frees the slots of indexes and ends the replica's
// liveness entry at once (a graceful stop: the others' shares grow at
// their next renewal instead of after a lease).
func (s *Store) LeaveSharedSlots(ctx context.Context, sh SlotShare, indexes []int) error {
	if err := sh.check(); err != nil {
		return err
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, i := range indexes {
			p.ZRem(ctx, s.keys.LinkSlots(sh.Scope), sh.LinkID(i))
		}
		p.ZRem(ctx, s.keys.LinkReplicas(sh.Scope), sh.Owner)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: leave shared link slots: %w", err)
	}
	return nil
}
