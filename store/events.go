package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// EventType names what an event reports.
type EventType string

// Event types.
const (
	// EventStatus (sms.status): a recipient of a request became final.
	EventStatus EventType = "sms.status"
	// EventMO (sms.mo): a complete mobile-originated message arrived.
	EventMO EventType = "sms.mo"
)

// Event is one webhook event. Events are created by the store's scripts
// (Reports, Submitted, SweepReportWait, CancelRequest, RecordCancel for
// sms.status; MOPart for sms.mo) and delivered by the webhook worker:
// LeaseEvents, then AckEvent, RetryEvent or DeadLetter.
//
// Storage (see eventrec.go, Keys.EventQueue): a new event is one record
// string pushed to the ready list with the other effects of its script —
// no key and no command of its own. LeaseEvents writes the records it
// leases to their keys (one MSET per call), where RetryEvent, DeadLetter,
// Replay, SaveEventBody and lease recovery find them by id; AckEvents
// deletes them. Events of the previous version (a hash per event, in the
// previous list and sets) are moved over by Recover and rewritten as
// records on their next lease (Keys.LegacyEventQueue). In a rolling
// upgrade the previous version's processes never meet a record: they only
// see its list and sets, which new events never enter. Only their admin
// calls differ until they are replaced: their GetEvent of a new event
// fails (WRONGTYPE), their ListDead and Replay see only the previous
// version's dead letters not yet moved.
type Event struct {
	// ID is unique across channels; (Channel, ID) addresses the event.
	ID string
	// Channel is the channel the event belongs to.
	Channel string
	// Type is sms.status or sms.mo.
	Type EventType
	// CallbackURL is where to deliver it ("" for sms.mo unless the caller
	// of MOPart set one: the webhook config then decides).
	CallbackURL string
	// CreatedAt is when the event was created.
	CreatedAt time.Time
	// Attempts counts leases of the event (1 during the first delivery).
	Attempts int
	// LastError is the last delivery error (RetryEvent, DeadLetter).
	LastError string
	// NextAttempt is the retry time set by RetryEvent (zero otherwise).
	NextAttempt time.Time
	// DeadAt is when it was dead-lettered (zero otherwise).
	DeadAt time.Time
	// Body is the first rendered body saved by SaveEventBody (nil before):
	// retries must send exactly these bytes.
	Body []byte

	// sms.status fields.

	// RequestID, Tenant and ClientRef identify the request.
	RequestID, Tenant, ClientRef string
	// Recipient is the 1-based recipient index; To its number.
	Recipient int
	To        string
	// Status and ErrorCode are the recipient's final status.
	Status    RecipientStatus
	ErrorCode string
	// Segments are the recipient's final segment states when the event
	// was created (Index set; the same as the request's, which never
	// change once final), so the event renders without GetRequest. nil for
	// events created by versions that did not record them.
	Segments []SegmentState

	// MO is set for sms.mo events.
	MO *MO
}

// decodeEvent builds an Event from its fields: a decoded event record (see
// eventrec.go) or the hash of an event of the previous version (HGETALL as
// a map). Both use the same field names.
func decodeEvent(channel string, h map[string]string) Event {
	e := Event{
		ID: h["id"], Channel: channel, Type: EventType(h["type"]), CallbackURL: h["cb"],
		CreatedAt: fromMS(h["at"]), LastError: h["lerr"], NextAttempt: fromMS(h["next"]),
		DeadAt:    fromMS(h["dead"]),
		RequestID: h["req"], Tenant: h["tenant"], ClientRef: h["ref"], To: h["to"],
		Status: RecipientStatus(h["status"]), ErrorCode: h["err"],
	}
	e.Attempts, _ = strconv.Atoi(h["att"])
	e.Recipient, _ = strconv.Atoi(h["r"])
	if b, ok := h["body"]; ok {
		e.Body = []byte(b)
	}
	if v, ok := h["segs"]; ok {
		e.Segments = decodeSegments(v)
		for i := range e.Segments {
			e.Segments[i].Channel = channel // a recipient's segments go out on its event's channel
		}
	}
	if e.Type == EventMO {
		fmtV, _ := strconv.Atoi(h["fmt"])
		parts, _ := strconv.Atoi(h["parts"])
		e.MO = &MO{
			EventID: e.ID, Src: h["src"], Dest: h["dest"], ServiceID: h["svc"], LinkID: h["link"],
			MsgFmt: uint8(fmtV), Data: []byte(h["data"]), Parts: parts, FirstAt: fromMS(h["first"]),
		}
	}
	return e
}

// decodeSegments decodes the "segs" field of an sms.status event: the
// recipient's job states joined with "|", jobFields fields each. A value
// of the wrong shape gives nil (the webhook then reads the request).
func decodeSegments(v string) []SegmentState {
	parts := strings.Split(v, "|")
	if len(parts)%jobFields != 0 {
		return nil
	}
	segs := make([]SegmentState, len(parts)/jobFields)
	for i := range segs {
		segs[i] = jobFromFields([jobFields]string(parts[i*jobFields : (i+1)*jobFields]))
		segs[i].Index = i + 1
	}
	return segs
}

// eventFromReply decodes one event of a script reply: a record, or an
// HGETALL array (an event hash of the previous version). A malformed
// record still gives its id when it was read (the webhook dead-letters an
// event of unknown type, so the fault is seen and the event not retried
// forever); ok is false when there is no id.
func eventFromReply(channel string, v any) (e Event, ok bool) {
	var m map[string]string
	if rec, isStr := v.(string); isStr {
		m, _ = decodeEventRecord(rec)
		if _, hasType := m["type"]; !hasType {
			m["type"] = "malformed"
		}
	} else {
		m = pairsToMap(v)
	}
	if m["id"] == "" {
		return Event{}, false
	}
	return decodeEvent(channel, m), true
}

// pairsToMap converts an HGETALL array reply to a map.
func pairsToMap(v any) map[string]string {
	a, _ := asSlice(v)
	m := make(map[string]string, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		m[asString(a[i])] = asString(a[i+1])
	}
	return m
}

// LeaseEvents takes up to max ready events of channel for EventLeaseTTL,
// after moving due retries to the ready list. Expired event leases are
// recovered by Recover.
func (s *Store) LeaseEvents(ctx context.Context, channel string, max int) ([]Event, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	if max < 1 {
		return nil, fmt.Errorf("%w: LeaseEvents max %d", ErrInvalid, max)
	}
	now := s.now()
	v, err := s.run(ctx, "lease events", scriptEvLease,
		[]string{s.keys.EventQueue(channel), s.keys.EventSched(channel), s.keys.EventLease(channel)},
		s.keys.Tag(channel), ms(now), ms(now.Add(s.opts.EventLeaseTTL)), max)
	if err != nil {
		return nil, err
	}
	a, _ := asSlice(v)
	evs := make([]Event, 0, len(a))
	for _, x := range a {
		if e, ok := eventFromReply(channel, x); ok {
			evs = append(evs, e)
		}
	}
	return evs, nil
}

// AckEvent forgets a delivered event. Acking an event that is no longer
// leased (its lease expired) still deletes it; ErrNotLeased tells the
// caller it may be delivered twice. An event never leased is not deleted
// (its record is in the ready list, where only a lease takes it): it has
// not been delivered.
func (s *Store) AckEvent(ctx context.Context, channel, eid string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	v, err := s.run(ctx, "ack event", scriptEvAck, []string{s.keys.EventLease(channel)},
		s.keys.Tag(channel), eid)
	if err != nil {
		return err
	}
	if asInt(v) != 1 {
		return fmt.Errorf("%w: event %s", ErrNotLeased, eid)
	}
	return nil
}

// ackBatchMax bounds the ids of one ev_ack_batch call (Lua's unpack and
// the script's run time stay small); AckEvents splits longer lists.
const ackBatchMax = 500

// NotLeasedError is returned by AckEvents when some of the events were no
// longer leased (their lease expired): they were deleted all the same, but
// may be delivered twice. errors.Is(err, ErrNotLeased) holds.
type NotLeasedError struct {
	// IDs are the events that were not leased, in the order given.
	IDs []string
}

// Error lists the ids.
func (e *NotLeasedError) Error() string {
	return fmt.Sprintf("%v: events %s", ErrNotLeased, strings.Join(e.IDs, ","))
}

// Unwrap returns ErrNotLeased.
func (e *NotLeasedError) Unwrap() error { return ErrNotLeased }

// AckEvents is AckEvent for many events of channel, in one script call per
// ackBatchMax ids. Every event leased at least once is deleted; when some were not leased the
// error is a *NotLeasedError naming them (the others are acked). Another
// error means the outcome of the call is unknown.
func (s *Store) AckEvents(ctx context.Context, channel string, eids []string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	var notLeased []string
	for len(eids) > 0 {
		n := min(len(eids), ackBatchMax)
		chunk := eids[:n]
		eids = eids[n:]
		args := make([]any, 0, 1+len(chunk))
		args = append(args, s.keys.Tag(channel))
		for _, id := range chunk {
			args = append(args, id)
		}
		v, err := s.run(ctx, "ack events", scriptEvAckBatch, []string{s.keys.EventLease(channel)}, args...)
		if err != nil {
			return err
		}
		res, _ := asSlice(v)
		if len(res) != len(chunk) {
			return fmt.Errorf("%w: ack events: %d results for %d ids", ErrBadReply, len(res), len(chunk))
		}
		for i, r := range res {
			if asInt(r) != 1 {
				notLeased = append(notLeased, chunk[i])
			}
		}
	}
	if len(notLeased) > 0 {
		return &NotLeasedError{IDs: notLeased}
	}
	return nil
}

// RetryEvent schedules another delivery of a leased event at at, keeping
// lastErr. ErrNotLeased when the event is not leased (nothing changed).
func (s *Store) RetryEvent(ctx context.Context, channel, eid string, at time.Time, lastErr string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	v, err := s.run(ctx, "retry event", scriptEvRetry,
		[]string{s.keys.EventLease(channel), s.keys.EventSched(channel)},
		s.keys.Tag(channel), eid, ms(at), lastErr)
	if err != nil {
		return err
	}
	if asInt(v) != 1 {
		return fmt.Errorf("%w: event %s", ErrNotLeased, eid)
	}
	return nil
}

// DeadLetter gives up on a leased event: it moves to the dead-letter set
// (kept for Retention) with lastErr. ErrNotLeased when it is not leased.
func (s *Store) DeadLetter(ctx context.Context, channel, eid, lastErr string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	now := s.now()
	v, err := s.run(ctx, "dead-letter event", scriptEvDead,
		[]string{s.keys.EventLease(channel), s.keys.EventDead(channel)},
		s.keys.Tag(channel), eid, ms(now), lastErr, secs(s.opts.Retention), ms(now.Add(-s.opts.Retention)))
	if err != nil {
		return err
	}
	if asInt(v) != 1 {
		return fmt.Errorf("%w: event %s", ErrNotLeased, eid)
	}
	return nil
}

// ListDead returns dead-lettered events, newest first, skipping offset.
func (s *Store) ListDead(ctx context.Context, channel string, offset, limit int) ([]Event, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	if offset < 0 || limit < 1 {
		return nil, fmt.Errorf("%w: ListDead offset %d limit %d", ErrInvalid, offset, limit)
	}
	ids, err := s.rdb.ZRevRange(ctx, s.keys.EventDead(channel), int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list dead events: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// Records with GET; a WRONGTYPE reply is a dead event hash of the
	// previous version, read again with HGETALL.
	cmds := make([]*redis.StringCmd, len(ids))
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.keys.Event(channel, id))
		}
		return nil
	})
	evs := make([]Event, 0, len(ids))
	for i, c := range cmds {
		var x any
		switch err := c.Err(); {
		case err == nil:
			x = c.Val()
		case errors.Is(err, redis.Nil):
			continue // expired since
		case isWrongType(err):
			h, err := s.rdb.HGetAll(ctx, s.keys.Event(channel, ids[i])).Result()
			if err != nil {
				return nil, fmt.Errorf("store: list dead events: %w", err)
			}
			if len(h) == 0 {
				continue
			}
			evs = append(evs, decodeEvent(channel, h))
			continue
		default:
			return nil, fmt.Errorf("store: list dead events: %w", err)
		}
		if e, ok := eventFromReply(channel, x); ok {
			evs = append(evs, e)
		}
	}
	return evs, nil
}

// isWrongType reports whether err is Redis's WRONGTYPE error.
func isWrongType(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE") }

// Replay moves a dead-lettered event back to the ready list with its
// attempts reset (its saved body is kept). ErrNotFound when the event is
// not dead-lettered.
func (s *Store) Replay(ctx context.Context, channel, eid string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	v, err := s.run(ctx, "replay event", scriptEvReplay,
		[]string{s.keys.EventDead(channel), s.keys.EventQueue(channel)}, s.keys.Tag(channel), eid)
	if err != nil {
		return err
	}
	if asInt(v) != 1 {
		return fmt.Errorf("%w: dead event %s", ErrNotFound, eid)
	}
	return nil
}

// SaveEventBody stores the first rendered body of an event and returns the
// body stored: body itself the first time, the earlier body afterwards, so
// retries send the same bytes (and the same signature). ErrNotFound when
// the event does not exist.
func (s *Store) SaveEventBody(ctx context.Context, channel, eid string, body []byte) ([]byte, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	v, err := s.cmd(ctx, scriptEvBody, []string{s.keys.Event(channel, eid)}, s.keys.Tag(channel), body).Text()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w: event %s", ErrNotFound, eid)
	}
	if err != nil {
		return nil, fmt.Errorf("store: save event body: %w", err)
	}
	return []byte(v), nil
}

// GetEvent returns one event (ready, leased, scheduled or dead), or
// ErrNotFound. A ready event that was never leased has no key: its entry
// is found by scanning the ready list, so GetEvent costs O(ready events)
// of Redis time; it is meant for tests and diagnosis, not a hot path.
func (s *Store) GetEvent(ctx context.Context, channel, eid string) (*Event, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	v, err := s.run(ctx, "get event", scriptEvGet,
		[]string{s.keys.Event(channel, eid), s.keys.EventQueue(channel)}, eid)
	if err != nil {
		return nil, err
	}
	a, _ := asSlice(v)
	if len(a) != 2 {
		return nil, fmt.Errorf("%w: event %s", ErrNotFound, eid)
	}
	e, ok := eventFromReply(channel, a[1])
	if !ok {
		return nil, fmt.Errorf("%w: event %s", ErrNotFound, eid)
	}
	return &e, nil
}

// recoverLegacyEvents moves the events of the previous version (see
// Keys.LegacyEventQueue) to the current list and sets, SweepBatch of each
// kind per call, and returns the number of events it made ready (ready
// ones, due retries and expired leases), so that Recover's caller wakes
// the dispatcher for them.
// Recover runs it.
func (s *Store) recoverLegacyEvents(ctx context.Context, channel string) (int, error) {
	expired := 0
	for {
		v, err := s.run(ctx, "recover legacy events", scriptEvLegacy,
			[]string{s.keys.LegacyEventQueue(channel), s.keys.LegacyEventSched(channel),
				s.keys.LegacyEventLease(channel), s.keys.LegacyEventDead(channel),
				s.keys.EventQueue(channel), s.keys.EventDead(channel)},
			s.keys.Tag(channel), ms(s.now()), s.opts.SweepBatch)
		if err != nil {
			return expired, err
		}
		a, _ := asSlice(v)
		if len(a) != 4 {
			return expired, fmt.Errorf("%w: recover legacy events reply %v", ErrBadReply, v)
		}
		expired += asInt(a[0]) + asInt(a[1]) + asInt(a[2])
		if max(asInt(a[0]), asInt(a[1]), asInt(a[2]), asInt(a[3])) < s.opts.SweepBatch {
			return expired, nil
		}
	}
}
