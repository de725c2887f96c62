package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// NewRequest is a request to store: one text, already split into segments,
// to R recipients over one channel.
type NewRequest struct {
	// ID is the request id (e.g. a UUID); it must not contain '|' and must
	// not be empty.
	ID string
	// Tenant owns the request: 1-32 characters a-z, 0-9, '_' or '-',
	// starting with a letter or digit (see CheckTenant). Its jobs wait in
	// the tenant's own queues, served fairly against other tenants'.
	Tenant string
	// Weight is the tenant's share in the channel's fair queue relative to
	// other tenants (1..MaxWeight, 0 means DefaultWeight): with weights 3
	// and 1, two backlogged tenants get 3/4 and 1/4 of the leases.
	Weight int
	// Priority orders the request among the tenant's own (see Priority).
	Priority Priority
	// UTCOffset is the tenant's time zone, seconds east of UTC
	// (±MaxUTCOffset): usage counters count by the tenant's day (see Day).
	UTCOffset int
	// Channel is the ISMG account the request is sent over: the channel of
	// every recipient RecipientChannels leaves to it.
	Channel string
	// RecipientChannels, when not nil, names the channel of each recipient
	// (same length and order as Recipients; "" = Channel), for a request
	// whose recipients were routed by carrier. Recipients of other channels
	// go out there, in parts of the request (see parts.go): the request is
	// stored whole on Channel (its home) in one script, then each part is
	// forwarded; GetRequest merges them.
	RecipientChannels []string
	// Pinned marks a request that named its channel: failover
	// (MoveUnsent) never moves it to another channel.
	Pinned bool
	// CallbackURL receives sms.status events; empty means no events.
	CallbackURL string
	// ClientRef is the caller's own reference, echoed back.
	ClientRef string
	// MsgFmt is the CMPP Msg_Fmt of every segment (0, 8, 15, …).
	MsgFmt uint8
	// SrcExt is appended to the channel's service code in Src_Id.
	SrcExt string
	// Recipients are the destination numbers (1..MaxRecipients).
	Recipients []string
	// Segments are the SUBMIT contents (1..MaxSegments), UDH included.
	Segments []Segment
	// CreatedAt is stored as created_at (default: the store's clock).
	CreatedAt time.Time
	// Deadline is the wall-clock time after which Redis must not store the
	// request any more (default: CreateDeadline()). Callers that reserve
	// an idempotency key first pass the deadline they recorded there.
	Deadline time.Time
	// CMPP is set for a request submitted over a customer's CMPP link.
	CMPP *CMPPOrigin
	// PkTotal and PkNumber, when not 0, are the upstream SUBMIT's
	// Pk_total/Pk_number of the one segment of a CMPP request (the
	// customer split the message); 0: from Segments.
	PkTotal, PkNumber uint8
	// ValidTime and AtTime are the upstream SUBMIT's ValId_Time and
	// At_Time (17-character SMPP time, "" = none).
	ValidTime, AtTime string
}

// Segment is one SUBMIT Msg_Content.
type Segment struct {
	// Content is the Msg_Content bytes, UDH first when UDHI is set.
	Content []byte
	// UDHI is TP_udhi.
	UDHI bool
}

// validate checks r against the store limits.
func (r *NewRequest) validate(o Options) error {
	switch {
	case r.ID == "" || strings.ContainsAny(r.ID, "|{}"):
		return fmt.Errorf("%w: NewRequest.ID %q: empty or contains '|', '{', '}'", ErrInvalid, r.ID)
	case len(r.Recipients) == 0 || len(r.Recipients) > o.MaxRecipients:
		return fmt.Errorf("%w: NewRequest.Recipients: %d recipients (want 1..%d)", ErrInvalid, len(r.Recipients), o.MaxRecipients)
	case len(r.Segments) == 0 || len(r.Segments) > o.MaxSegments:
		return fmt.Errorf("%w: NewRequest.Segments: %d segments (want 1..%d)", ErrInvalid, len(r.Segments), o.MaxSegments)
	}
	if err := checkChannel(r.Channel); err != nil {
		return err
	}
	if err := r.validateRecipientChannels(); err != nil {
		return err
	}
	if err := CheckTenant("NewRequest.Tenant", r.Tenant); err != nil {
		return err
	}
	switch {
	case r.Weight < 0 || r.Weight > MaxWeight:
		return fmt.Errorf("%w: NewRequest.Weight %d: want 1..%d (0 = %d)", ErrInvalid, r.Weight, MaxWeight, DefaultWeight)
	case !r.Priority.valid():
		return fmt.Errorf("%w: NewRequest.Priority %d: want PriorityHigh, PriorityNormal or PriorityLow", ErrInvalid, r.Priority)
	case r.UTCOffset < -MaxUTCOffset || r.UTCOffset > MaxUTCOffset:
		return fmt.Errorf("%w: NewRequest.UTCOffset %d: want -%d..%d seconds", ErrInvalid, r.UTCOffset, MaxUTCOffset, MaxUTCOffset)
	}
	for i, to := range r.Recipients {
		if to == "" {
			return fmt.Errorf("%w: NewRequest.Recipients[%d]: empty number", ErrInvalid, i)
		}
	}
	for i, sg := range r.Segments {
		if len(sg.Content) == 0 || len(sg.Content) > 255 {
			return fmt.Errorf("%w: NewRequest.Segments[%d]: %d bytes (want 1..255)", ErrInvalid, i, len(sg.Content))
		}
	}
	return r.validateCMPP()
}

// CreateDeadline returns the deadline of a create starting now: the wall
// clock plus Options.CreateDeadline. It is real time, not Options.Now,
// because Redis compares it with its own clock.
func (s *Store) CreateDeadline() time.Time { return time.Now().Add(s.opts.CreateDeadline) }

// Settled reports whether a create with this deadline can no longer be
// run by Redis (the deadline plus Options.ClockSkew has passed).
func (s *Store) Settled(deadline time.Time) bool {
	return time.Now().After(deadline.Add(s.opts.ClockSkew))
}

// CreateRequest stores req and queues its R×S jobs (recipient-major: all
// segments of recipient 1, then recipient 2, …) at the tail of its
// tenant's queue of its priority, the tenant joining the channel's fair
// queue if it was not active, and counts R×S segments accepted in the
// tenant's usage of the day. It first writes the
// request index (id → channel, TTL IndexTTL), then runs create.lua, which
// writes the request hash and pushes the jobs unless req.Deadline has
// passed on the Redis clock.
//
// The outcome is always known to the caller, except in one case:
//   - nil: the request is stored (as far as Redis persistence goes);
//   - ErrExists: another request has the id; nothing was written;
//   - ErrOutcomeUnknown: the create call failed and reading back whether
//     it took effect failed too. When CreateRequest returns, the deadline
//     (plus ClockSkew) has passed, so Redis can no longer store the
//     request: GetRequest tells the final truth as soon as Redis answers;
//   - any other error (ErrInvalid, ErrUnavailable, Redis errors): nothing
//     was stored and nothing will be.
//
// A failed create call (timeout, connection lost, error reply) is settled
// with resolve.lua: it answers whether the request exists and, if not,
// voids the id so that a create still buffered in Redis does nothing.
func (s *Store) CreateRequest(ctx context.Context, req NewRequest) error {
	if err := req.validate(s.opts); err != nil {
		return err
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
		return fmt.Errorf("%w: create request %s: deadline passed before it was sent", ErrUnavailable, req.ID)
	}
	token := nonce()
	plan := req.plan()
	v, sent, err := s.createRequest(ctx, req, s.createArgs(req, plan, created, deadline, token))
	if err != nil {
		if !sent {
			return err
		}
		err = s.settleCreate(ctx, req, token, deadline, err)
	} else {
		err = createOutcome(req.ID, v)
	}
	if err == nil && plan != nil {
		// The request is stored whole with its transfer record: forwarding
		// now keeps latency low; if it fails, RecoverTransfers finishes it.
		_, _ = s.forward(ctx, req.Channel, req.ID)
	}
	return err
}

// createArgs builds the ARGV of create.lua.
func (s *Store) createArgs(req NewRequest, plan *partPlan, created, deadline time.Time, token string) []any {
	R, S := len(req.Recipients), len(req.Segments)
	meta := createMeta(req, created)
	if plan != nil {
		meta = plan.partMeta(meta, S)
	}
	args := make([]any, 0, 11+len(meta)+R+2*S)
	args = append(args, s.keys.Tag(req.Channel), req.ID, R, S, ms(deadline), token,
		ms(s.now()), secs(s.opts.UsageRetention), req.Tenant, req.UTCOffset, len(meta))
	args = append(args, meta...)
	return appendContent(args, req)
}

// appendContent appends the recipients, segment bytes and TP_udhi flags
// of req (create.lua, create_many.lua).
func appendContent(args []any, req NewRequest) []any {
	for _, to := range req.Recipients {
		args = append(args, to)
	}
	for _, sg := range req.Segments {
		args = append(args, sg.Content)
	}
	for _, sg := range req.Segments {
		args = append(args, boolFlag(sg.UDHI))
	}
	return args
}

// createMeta is the request hash's meta fields (field, value pairs). A
// field whose value is its readers' default is not written (every field
// costs Redis memory and HSET time per request): "cb", "ref", "ext" when
// empty, "w" when DefaultWeight, "pr" when normal ("n"), "tz" when 0
// (lib.lua meta() and decodeRequest read a missing one as that default).
func createMeta(req NewRequest, created time.Time) []any {
	R, S := len(req.Recipients), len(req.Segments)
	meta := []any{
		schema.FieldTenant, req.Tenant, schema.FieldChannel, req.Channel, schema.FieldMsgFmt, strconv.Itoa(int(req.MsgFmt)),
		schema.FieldCreatedAt, ms(created), schema.FieldRecipients, strconv.Itoa(R), schema.FieldSegments, strconv.Itoa(S),
	}
	for _, f := range [][2]string{{schema.FieldCallback, req.CallbackURL}, {schema.FieldClientRef, req.ClientRef},
		{schema.FieldSrcExt, req.SrcExt}} {
		if f[1] != "" {
			meta = append(meta, f[0], f[1])
		}
	}
	if w := req.weight(); w != DefaultWeight {
		meta = append(meta, schema.FieldWeight, strconv.Itoa(w))
	}
	if p := req.Priority.code(); p != "n" {
		meta = append(meta, schema.FieldPriority, p)
	}
	if req.UTCOffset != 0 {
		meta = append(meta, schema.FieldUTCOffset, strconv.Itoa(req.UTCOffset))
	}
	if req.Pinned {
		meta = append(meta, schema.FieldPinned, "1")
	}
	return req.cmppMeta(meta)
}

// createKeys are the KEYS of create.lua.
func (s *Store) createKeys(req NewRequest) []string {
	return []string{s.keys.Request(req.Channel, req.ID), s.keys.TenantQueue(req.Channel, req.Tenant, req.Priority),
		s.keys.Void(req.Channel, req.ID), s.keys.Active(req.Channel), s.keys.VClock(req.Channel),
		s.keys.Transfers(req.Channel)}
}

// weight is r.Weight with the default applied.
func (r *NewRequest) weight() int {
	if r.Weight == 0 {
		return DefaultWeight
	}
	return r.Weight
}

// settleCreate learns the outcome of a create call that failed with cause
// (see CreateRequest).
func (s *Store) settleCreate(ctx context.Context, req NewRequest, token string, deadline time.Time, cause error) error {
	tok, exists, err := s.resolve(ctx, req.Channel, req.ID)
	switch {
	case err != nil:
		// Let the deadline pass, so that Redis can no longer store the
		// request when the caller learns the outcome is unknown. Not cut
		// short by ctx: that promise is what makes GET tell the truth.
		waitSettled(deadline.Add(s.opts.ClockSkew))
		return fmt.Errorf("%w: request %s: %w (read-back: %v)", ErrOutcomeUnknown, req.ID, cause, err)
	case exists && tok == token:
		return nil
	case exists:
		return fmt.Errorf("%w: %s", ErrExists, req.ID)
	}
	return fmt.Errorf("%w: request %s not stored: %w", ErrUnavailable, req.ID, cause)
}

// waitSettled returns once the wall clock is past until.
func waitSettled(until time.Time) {
	if d := time.Until(until) + time.Millisecond; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		<-t.C
	}
}

// ResolveCreate settles request id of channel whose create call failed or
// whose outcome is unknown: true when the request exists; otherwise it
// voids the id (a create still pending in Redis will do nothing) and
// returns false. An error means Redis did not answer: nothing is known.
func (s *Store) ResolveCreate(ctx context.Context, channel, id string) (bool, error) {
	if err := checkChannel(channel); err != nil {
		return false, err
	}
	_, exists, err := s.resolve(ctx, channel, id)
	return exists, err
}

// resolve runs resolve.lua: the create token of the stored request, or
// exists false after voiding the id.
func (s *Store) resolve(ctx context.Context, channel, id string) (token string, exists bool, err error) {
	// EVAL, not EVALSHA: when Redis does not answer, the command that
	// reaches its buffer must be able to run by itself on resume (a
	// NOSCRIPT there would leave the id unvoided).
	sc := scriptResolve.plain
	if s.strictSlots {
		sc = scriptResolve.strict
	}
	v, err := sc.Eval(ctx, s.rdb, []string{s.keys.Request(channel, id), s.keys.Void(channel, id)}, msDur(s.voidTTL())).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: resolve request: %w", err)
	}
	if v == nil {
		return "", false, nil
	}
	return asString(v), true, nil
}

// voidTTL is how long a void marker lives: past any deadline of a create
// that could still be pending, with room for clock skew.
func (s *Store) voidTTL() time.Duration {
	return s.opts.CreateDeadline + s.opts.ClockSkew + time.Minute
}

// createRequest writes the index, then runs the create script. On a
// single server (or Sentinel) both go in one pipeline, which Redis runs in
// order on one connection (one round trip); on a cluster the index lives on
// another node, so it is written first, then the script runs. sent is
// false when the error came before the script could have reached Redis.
func (s *Store) createRequest(ctx context.Context, req NewRequest, args []any) (v any, sent bool, err error) {
	idx := s.keys.RequestIndex(req.ID)
	keys := s.createKeys(req)
	if _, single := s.rdb.(*redis.Client); single {
		var set *redis.StatusCmd
		var eval *redis.Cmd
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			set = p.Set(ctx, idx, req.Channel, s.opts.IndexTTL)
			if s.strictSlots {
				eval = scriptCreate.strict.EvalSha(ctx, p, keys, args...)
			} else {
				eval = scriptCreate.plain.EvalSha(ctx, p, keys, args...)
			}
			return nil
		})
		if err == nil {
			return eval.Val(), true, nil
		}
		if set.Err() != nil || !redis.HasErrorPrefix(eval.Err(), "NOSCRIPT") {
			return nil, true, fmt.Errorf("store: create request: %w", err)
		}
		// Script not cached yet: EVAL it (the index is written already).
		v, err := s.run(ctx, "create request", scriptCreate, keys, args...)
		return v, true, err
	}
	if err := s.rdb.Set(ctx, idx, req.Channel, s.opts.IndexTTL).Err(); err != nil {
		return nil, false, fmt.Errorf("store: create request index: %w", err)
	}
	v, err = s.run(ctx, "create request", scriptCreate, keys, args...)
	return v, true, err
}

func boolFlag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// validateRecipientChannels checks RecipientChannels: nil, or one entry per
// recipient, each "" (Channel) or a valid channel name.
func (r *NewRequest) validateRecipientChannels() error {
	if r.RecipientChannels == nil {
		return nil
	}
	if len(r.RecipientChannels) != len(r.Recipients) {
		return fmt.Errorf("%w: NewRequest.RecipientChannels: %d entries for %d recipients", ErrInvalid, len(r.RecipientChannels), len(r.Recipients))
	}
	for i, ch := range r.RecipientChannels {
		if ch == "" || ch == r.Channel {
			continue
		}
		if err := checkChannel(ch); err != nil {
			return fmt.Errorf("NewRequest.RecipientChannels[%d]: %w", i, err)
		}
	}
	return nil
}
