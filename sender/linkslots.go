package sender

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// DefaultSlotLease is the default of Settings.SlotLease (and of
// queue.link_slot_lease).
const DefaultSlotLease = 15 * time.Second

// linkSlots holds this replica's part of a channel's cluster-wide link
// limit (Settings.MaxLinks): a link takes a slot from Redis before it
// dials and gives it back once closed; one renewal per channel every
// SlotLease/3 keeps the replica live and the slots leased, and revokes
// links whose slot was lost or that are above the replica's fair share
// (the highest indexes first), so no link is logged in without a slot.
type linkSlots struct {
	c     *Channel
	share store.SlotShare

	mu      sync.Mutex
	held    map[int]*heldSlot // link index -> its slot
	target  int               // this replica's share at the last take or renewal
	refused bool              // the last take was refused (logged once per run of refusals)
}

// heldSlot is a slot held by a link of this replica.
type heldSlot struct {
	revoke  context.CancelFunc // stops the link (it closes and gives the slot back)
	until   time.Time          // the lease as last taken or renewed (local clock)
	revoked bool
	lost    bool // the lease expired: the slot may be another replica's
}

func newLinkSlots(c *Channel) *linkSlots {
	return &linkSlots{c: c, held: map[int]*heldSlot{}, share: store.SlotShare{
		Scope: "ch:" + c.set.Name, Owner: c.deps.Owner, Max: c.set.MaxLinks, Want: c.set.Links, Lease: c.set.SlotLease,
	}}
}

// acquire waits until link index holds a slot, trying with back-off and
// jitter; it returns the link's context (cancelled when the slot is
// revoked), or ok false when ctx ended.
func (s *linkSlots) acquire(ctx context.Context, index int) (linkCtx context.Context, ok bool) {
	lease := s.share.Lease
	retry := backoffCounter{base: lease / 20, max: lease / 3}
	for ctx.Err() == nil {
		start := time.Now()
		took, target, err := s.c.deps.Store.TakeSharedSlot(ctx, s.share, index)
		if err != nil {
			if ctx.Err() == nil {
				s.c.log.Warn().Err(err).Int("link", index).Msg("link slot: take failed")
			}
			sleep(ctx, retry.next())
			continue
		}
		s.mu.Lock()
		s.target = target
		if took {
			linkCtx, cancel := context.WithCancel(ctx)
			s.held[index] = &heldSlot{revoke: cancel, until: start.Add(lease)}
			n := len(s.held)
			s.refused = false
			s.mu.Unlock()
			s.gauge(n)
			s.c.log.Info().Int("link", index).Int("slots_held", n).Int("share", target).Int("max_links", s.share.Max).Msg("link slot taken")
			return linkCtx, true
		}
		first := !s.refused
		s.refused = true
		s.mu.Unlock()
		s.count("refused")
		ev := s.c.log.Debug()
		if first {
			ev = s.c.log.Info()
		}
		ev.Int("link", index).Int("share", target).Int("max_links", s.share.Max).Msg("no link slot: the channel's max_links are held by other replicas or above this replica's share")
		sleep(ctx, retry.next())
	}
	return nil, false
}

// release gives back the slot of link index once its link has closed.
func (s *linkSlots) release(index int) {
	s.mu.Lock()
	h := s.held[index]
	delete(s.held, index)
	n := len(s.held)
	s.mu.Unlock()
	if h == nil {
		return
	}
	h.revoke()
	s.gauge(n)
	if h.lost {
		return // not ours any more: another replica's link may hold it
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.c.deps.Store.ReleaseLinkSlot(ctx, s.share.Scope, s.share.LinkID(index)); err != nil {
		s.c.log.Warn().Err(err).Int("link", index).Msg("link slot: release failed; it returns when its lease expires")
	}
}

// run renews every SlotLease/3 until ctx ends, then leaves (ends the
// liveness entry, so the others' shares grow at once). A draining link
// keeps its slot renewed; each link frees its own slot once closed.
func (s *linkSlots) run(ctx context.Context) {
	s.gauge(0)
	t := time.NewTicker(max(s.share.Lease/3, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.leave()
			return
		case <-t.C:
		}
		s.renew(ctx)
	}
}

// renew is one renewal: it keeps the replica live, revokes the links
// whose slot was lost, then those above the share (highest index first).
// When renewals fail, links are revoked before their leases can expire.
func (s *linkSlots) renew(ctx context.Context) {
	s.mu.Lock()
	indexes := make([]int, 0, len(s.held))
	for i, h := range s.held {
		if !h.lost {
			indexes = append(indexes, i)
		}
	}
	s.mu.Unlock()
	start := time.Now()
	target, lost, err := s.c.deps.Store.RenewSharedSlots(ctx, s.share, indexes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		s.c.log.Warn().Err(err).Msg("link slot: renewal failed")
		// The next renewal comes in Lease/3: a lease that would end
		// before the one after it is given up now.
		for i, h := range s.held {
			if !h.revoked && time.Until(h.until) < 2*s.share.Lease/3 {
				s.revokeLocked(i, h, true, "lease ending without renewal")
			}
		}
		return
	}
	s.target = target
	for _, i := range indexes {
		if h := s.held[i]; h != nil {
			h.until = start.Add(s.share.Lease)
		}
	}
	for _, i := range lost {
		if h := s.held[i]; h != nil {
			s.revokeLocked(i, h, true, "lease expired")
		}
	}
	var keep []int
	for i, h := range s.held {
		if !h.revoked {
			keep = append(keep, i)
		}
	}
	slices.Sort(keep)
	for len(keep) > target {
		i := keep[len(keep)-1]
		keep = keep[:len(keep)-1]
		s.revokeLocked(i, s.held[i], false, "above this replica's share")
	}
}

// revokeLocked stops link i: it stops taking jobs, finishes what is in
// flight and closes with TERMINATE, then its slot is released (or, lost,
// forgotten).
func (s *linkSlots) revokeLocked(i int, h *heldSlot, lost bool, why string) {
	h.revoked = true
	h.lost = h.lost || lost
	h.revoke()
	event := "given_back"
	if lost {
		event = "lost"
	}
	s.count(event)
	s.c.log.Warn().Int("link", i).Str("reason", why).Int("share", s.target).Int("max_links", s.share.Max).Msg("link slot " + event + "; closing the link")
}

// leave ends the replica's liveness entry. Slots still held belong to
// links still closing (the drain ended early): each is freed by its link
// once the socket is closed, never before, so no other replica's link
// logs in while this one's is still up.
func (s *linkSlots) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.c.deps.Store.LeaveSharedSlots(ctx, s.share, nil); err != nil {
		s.c.log.Warn().Err(err).Msg("link slot: leave failed; the liveness entry expires after a lease")
	}
}

// starved reports whether this replica holds no slot because its last
// take was refused (the slots are held by other replicas, or its share
// is 0); false before the first take and while Redis fails.
func (s *linkSlots) starved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held) == 0 && s.refused
}

func (s *linkSlots) gauge(n int) {
	if m := s.c.deps.Metrics; m != nil {
		m.LinkSlotsHeld.WithLabelValues(s.c.set.Name).Set(float64(n))
	}
}

func (s *linkSlots) count(event string) {
	if m := s.c.deps.Metrics; m != nil {
		m.LinkSlotEvents.WithLabelValues(s.c.set.Name, event).Inc()
	}
}
