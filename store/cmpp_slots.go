package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// msgSeqTTL keeps a second's Msg_Id counter well past the second (clock
// skew between replicas), and at least the 2 minutes the design asks.
const msgSeqTTL = 3 * time.Minute

// ReserveMsgSeq reserves n consecutive Msg_Id sequence numbers of the
// second stamp (MMDDHHMMSS) for the whole cluster and returns the first;
// ErrSeqExhausted when the second's 65536 are used up (fewer than n left:
// the caller moves on to the next second).
func (s *Store) ReserveMsgSeq(ctx context.Context, stamp string, n int) (first int, err error) {
	if len(stamp) != 10 || strings.Trim(stamp, "0123456789") != "" {
		return 0, fmt.Errorf("%w: Msg_Id stamp %q: want MMDDHHMMSS", ErrInvalid, stamp)
	}
	if n < 1 || n > 65536 {
		return 0, fmt.Errorf("%w: ReserveMsgSeq n %d: want 1..65536", ErrInvalid, n)
	}
	v, err := s.run(ctx, "reserve Msg_Id sequence", scriptMsgSeq, []string{s.keys.MsgSeq(stamp)}, n, secs(msgSeqTTL))
	if err != nil {
		return 0, err
	}
	f, ok := v.(int64)
	switch {
	case !ok:
		return 0, fmt.Errorf("%w: reserve Msg_Id sequence reply %v", ErrBadReply, v)
	case f < 0:
		return 0, ErrSeqExhausted
	}
	return int(f), nil
}

// ErrSeqExhausted: the second's Msg_Id sequence numbers are all taken.
var ErrSeqExhausted = errors.New("store: Msg_Id sequence of this second exhausted")

// TakeLinkSlot takes a slot of scope (e.g. "cmpp:910001") for link id,
// leased for ttl, if fewer than max live slots are held cluster-wide
// (slots whose lease has passed are forgotten first). A link that holds a
// slot keeps it (and its lease is renewed).
func (s *Store) TakeLinkSlot(ctx context.Context, scope, id string, max int, ttl time.Duration) (ok bool, err error) {
	if err := checkSlot(scope, id, ttl); err != nil {
		return false, err
	}
	if max < 1 {
		return false, nil
	}
	now := s.now()
	v, err := s.run(ctx, "take link slot", scriptLinkTake, []string{s.keys.LinkSlots(scope)},
		ms(now), ms(now.Add(ttl)), max, id, ttl.Milliseconds())
	if err != nil {
		return false, err
	}
	return asInt(v) == 1, nil
}

// RenewLinkSlots extends the leases of ids in scope; lost lists those
// that had expired (their links must close: the slot may be another
// link's now).
func (s *Store) RenewLinkSlots(ctx context.Context, scope string, ids []string, ttl time.Duration) (lost []string, err error) {
	if err := checkSlot(scope, "-", ttl); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	now := s.now()
	args := append([]any{ms(now), ms(now.Add(ttl)), ttl.Milliseconds()}, anys(ids)...)
	v, err := s.run(ctx, "renew link slots", scriptLinkRenew, []string{s.keys.LinkSlots(scope)}, args...)
	if err != nil {
		return nil, err
	}
	return stringsOf(v), nil
}

// ReleaseLinkSlot frees the slot of link id.
func (s *Store) ReleaseLinkSlot(ctx context.Context, scope, id string) error {
	if err := checkSlot(scope, id, time.Second); err != nil {
		return err
	}
	if err := s.rdb.ZRem(ctx, s.keys.LinkSlots(scope), id).Err(); err != nil {
		return fmt.Errorf("store: release link slot: %w", err)
	}
	return nil
}

// checkSlot validates the arguments of the link slot calls.
func checkSlot(scope, id string, ttl time.Duration) error {
	if scope == "" || strings.ContainsAny(scope, "{} ") || id == "" {
		return fmt.Errorf("%w: link slot scope %q, id %q", ErrInvalid, scope, id)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("%w: link slot lease %v", ErrInvalid, ttl)
	}
	return nil
}

// LoginBlocked reports whether addr has failed max logins within window
// (then refused until the window of its failures ends: retryAfter). The
// window restarts at each failure (LoginFailed), so an address that keeps
// failing stays blocked; a blocked login should not be counted again.
func (s *Store) LoginBlocked(ctx context.Context, addr string, max int, window time.Duration) (blocked bool, retryAfter time.Duration, err error) {
	if addr == "" {
		return false, 0, fmt.Errorf("%w: login address empty", ErrInvalid)
	}
	if max < 1 {
		return false, 0, nil
	}
	k := s.keys.LoginFails(addr)
	p := s.rdb.Pipeline()
	n := p.Get(ctx, k)
	ttl := p.PTTL(ctx, k)
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, 0, fmt.Errorf("store: login blocked: %w", err)
	}
	c, _ := n.Int()
	if c < max {
		return false, 0, nil
	}
	retryAfter = ttl.Val()
	if retryAfter <= 0 || retryAfter > window {
		retryAfter = window
	}
	return true, retryAfter, nil
}

// LoginFailed counts a failed login from addr within window.
func (s *Store) LoginFailed(ctx context.Context, addr string, window time.Duration) error {
	if addr == "" || window < time.Millisecond {
		return fmt.Errorf("%w: login address %q, window %v", ErrInvalid, addr, window)
	}
	k := s.keys.LoginFails(addr)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, k)
		p.PExpire(ctx, k, window)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: login failed: %w", err)
	}
	return nil
}

// AllowCMPPSubmits takes up to n SUBMITs of account from its perSec rate
// (GCRA shared by replicas; perSec 0 = unlimited) and returns how many
// pass. The burst is one second's worth, as for AllowRequest (the same
// script, rate_take.lua, taking n at once).
func (s *Store) AllowCMPPSubmits(ctx context.Context, account string, perSec, n int) (allowed int, err error) {
	if account == "" || strings.ContainsAny(account, "{}") {
		return 0, fmt.Errorf("%w: CMPP account %q", ErrInvalid, account)
	}
	if n <= 0 {
		return 0, nil
	}
	if perSec <= 0 {
		return n, nil
	}
	v, err := s.run(ctx, "allow CMPP submits", scriptRateTake, []string{s.keys.CMPPRate(account)},
		ms(s.now()), perSec, n)
	if err != nil {
		return 0, err
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 2 {
		return 0, fmt.Errorf("%w: allow CMPP submits reply %v", ErrBadReply, v)
	}
	return asInt(a[0]), nil
}
