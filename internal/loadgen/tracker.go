package loadgen

import (
	"hash/maphash"
	"strconv"
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
	statuses   map[string]int64       // unique events by data.status
	e2e        Histogram              // accept → webhook
}

func newTracker(epoch time.Time) *tracker {
	return &tracker{
		epoch:    epoch,
		seed:     maphash.MakeSeed(),
		pending:  map[recipientKey]int64{},
		early:    map[recipientKey]int64{},
		seen:     map[uint64]struct{}{},
		statuses: map[string]int64{},
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
	h := maphash.String(t.seed, eventID)
	req, errReq := uuid.Parse(requestID)
	num, errTo := strconv.ParseUint(to, 10, 64)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.seen[h]; dup {
		t.duplicates++
		return true
	}
	t.seen[h] = struct{}{}
	t.unique++
	t.statuses[status]++
	if errReq != nil || errTo != nil {
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
		out.statuses[k] = v
	}
	return out
}
