package loadgen

import (
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
)

// recipientKey names one recipient of one accepted request.
type recipientKey struct {
	req uuid.UUID
	to  uint64
}

// tracker matches webhooks to accepted recipients. Its memory is bounded
// by the recipients outstanding (accepted, no webhook yet) plus 8 bytes
// per distinct event id (for de-duplication).
type tracker struct {
	epoch time.Time
	seed  maphash.Seed

	mu         sync.Mutex
	pending    map[recipientKey]int64 // accepted, waiting: accept time (ns since epoch)
	early      map[recipientKey]int64 // webhook seen before its 202 was processed: arrival time
	seen       map[uint64]struct{}    // hashes of event ids received
	unique     int64                  // distinct events
	matched    int64                  // events matched to an accepted recipient
	duplicates int64                  // events received again (same id)
	badIDs     int64                  // sms.status without a parsable request_id/to
	statuses   map[string]*int64      // unique events by data.status
	e2e        Histogram              // accept → webhook
}

func newTracker(epoch time.Time) *tracker {
	return &tracker{
		epoch:    epoch,
		seed:     maphash.MakeSeed(),
		pending:  map[recipientKey]int64{},
		early:    map[recipientKey]int64{},
		seen:     map[uint64]struct{}{},
		statuses: map[string]*int64{},
	}
}

// now returns monotonic nanoseconds since the epoch.
func (t *tracker) now() int64 { return int64(time.Since(t.epoch)) }

// accepted registers the recipients of an accepted request at time at.
func (t *tracker) accepted(req uuid.UUID, numbers []uint64, at int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range numbers {
		k := recipientKey{req, n}
		if arrived, ok := t.early[k]; ok {
			delete(t.early, k)
			t.e2e.Record(time.Duration(arrived - at)) // negative → 0
			t.matched++
			continue
		}
		t.pending[k] = at
	}
}

// statusEvent records one sms.status delivery received at time at and
// reports whether it was a duplicate.
func (t *tracker) statusEvent(eventID, requestID, to, status string, at int64) (duplicate bool) {
	return t.statusEventBytes([]byte(eventID), []byte(requestID), []byte(to), []byte(status), at)
}

// statusEventBytes is statusEvent on the bytes of a webhook body (nothing
// is kept that points into them).
func (t *tracker) statusEventBytes(eventID, requestID, to, status []byte, at int64) (duplicate bool) {
	h := maphash.Bytes(t.seed, eventID)
	req, errReq := uuid.ParseBytes(requestID)
	num, okTo := parseDecimal(to)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.seen[h]; dup {
		t.duplicates++
		return true
	}
	t.seen[h] = struct{}{}
	t.unique++
	if n := t.statuses[string(status)]; n != nil {
		*n++
	} else {
		one := int64(1)
		t.statuses[string(status)] = &one
	}
	if errReq != nil || !okTo {
		t.badIDs++
		return false
	}
	k := recipientKey{req, num}
	if acceptedAt, ok := t.pending[k]; ok {
		delete(t.pending, k)
		t.e2e.Record(time.Duration(at - acceptedAt))
		t.matched++
		return false
	}
	t.early[k] = at
	return false
}

// parseDecimal is strconv.ParseUint(string(b), 10, 64) without the
// string: one or more ASCII digits, no sign, no overflow.
func parseDecimal(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// outstanding is the number of accepted recipients without a webhook.
func (t *tracker) outstanding() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// uniqueEvents is the number of distinct events received so far.
func (t *tracker) uniqueEvents() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unique
}

// trackerTotals is a snapshot of the tracker's counts.
type trackerTotals struct {
	unique, matched, duplicates, badIDs int64
	outstanding, unmatched              int
	statuses                            map[string]int64
	e2e                                 Histogram
}

func (t *tracker) totals() *trackerTotals {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := &trackerTotals{
		unique: t.unique, matched: t.matched, duplicates: t.duplicates, badIDs: t.badIDs,
		outstanding: len(t.pending), unmatched: len(t.early), statuses: map[string]int64{},
		e2e: t.e2e,
	}
	for k, v := range t.statuses {
		out.statuses[k] = *v
	}
	return out
}
