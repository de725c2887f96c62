package content

import (
	"errors"
	"strconv"
	"sync"
	"time"
)

// Defaults of ReassemblerOptions fields left at zero.
const (
	// DefaultReassemblyTTL is how long a partial set is kept (SMSGate keeps
	// partial sets for 2 hours).
	DefaultReassemblyTTL = 2 * time.Hour
	// DefaultMaxPending bounds the number of partial sets held at once.
	DefaultMaxPending = 10000
)

// Part is one MO segment (or whole message) as received in a CMPP_DELIVER.
type Part struct {
	// Sender is Src_terminal_Id, the handset.
	Sender string
	// Receiver is Dest_Id, the SP number (service code + extension).
	Receiver string
	// MsgFmt is the DELIVER's Msg_Fmt.
	MsgFmt uint8
	// UDHI is HasUDHI(TP_udhi).
	UDHI bool
	// Content is Msg_Content, UDH included. It is copied when kept, so the
	// caller may reuse the buffer.
	Content []byte
}

// PartInfo describes where a Part belongs.
type PartInfo struct {
	// Single reports a complete message on its own: no UDHI, no
	// concatenation element, Total ≤ 1, or an Index outside 1..Total (GSM
	// 03.40 says to ignore such an element).
	Single bool
	// Key identifies the set the part belongs to (PartKey); empty when
	// Single.
	Key string
	// Reference, Total and Index come from the UDH (zero when Single).
	Reference uint16
	Total     uint8
	Index     uint8
}

// Assembled is a complete MO message.
type Assembled struct {
	// Sender and Receiver are those of the parts.
	Sender, Receiver string
	// MsgFmt is the Msg_Fmt of the first segment.
	MsgFmt uint8
	// Text is the decoded text; empty when Binary.
	Text string
	// Binary reports a binary Msg_Fmt (Decode returned ErrBinary): Payload
	// holds the data.
	Binary bool
	// Payload is the joined content of all segments, UDHs removed.
	Payload []byte
	// Reference is the concatenation reference (0 for a single message).
	Reference uint16
	// Segments is the number of segments joined (1 for a single message).
	Segments int
}

// PartKey returns the reassembly key of a segment: (sender, receiver,
// reference, total) as PROTOCOL.md §8.3 prescribes, written as
// "len:sender|len:receiver|ref|total" (e.g. "11:13800138000|10:1065800001|90|3").
// The length prefixes make it unambiguous whatever the strings contain, and
// it is stable across processes, so it can key an external store.
func PartKey(sender, receiver string, ref uint16, total uint8) string {
	b := make([]byte, 0, len(sender)+len(receiver)+20)
	b = strconv.AppendInt(b, int64(len(sender)), 10)
	b = append(b, ':')
	b = append(b, sender...)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(len(receiver)), 10)
	b = append(b, ':')
	b = append(b, receiver...)
	b = append(b, '|')
	b = strconv.AppendUint(b, uint64(ref), 10)
	b = append(b, '|')
	b = strconv.AppendUint(b, uint64(total), 10)
	return string(b)
}

// ParsePart locates a part: it parses the UDH when p.UDHI and returns the
// part's PartInfo with its payload (UDH removed, a subslice of p.Content).
// Only a malformed UDH is an error.
func ParsePart(p Part) (PartInfo, []byte, error) {
	if !p.UDHI {
		return PartInfo{Single: true}, p.Content, nil
	}
	h, payload, err := ParseUDH(p.Content)
	if err != nil {
		return PartInfo{}, nil, err
	}
	if !h.Concat || h.Total <= 1 || h.Index == 0 || h.Index > h.Total {
		return PartInfo{Single: true}, payload, nil
	}
	return PartInfo{
		Key:       PartKey(p.Sender, p.Receiver, h.Reference, h.Total),
		Reference: h.Reference,
		Total:     h.Total,
		Index:     h.Index,
	}, payload, nil
}

// Assemble builds the Assembled message from the payloads of all segments
// in index order; msgFmt is the first segment's Msg_Fmt.
func Assemble(sender, receiver string, msgFmt uint8, ref uint16, payloads [][]byte) (*Assembled, error) {
	b := concat(payloads)
	a := &Assembled{Sender: sender, Receiver: receiver, MsgFmt: msgFmt, Payload: b, Reference: ref, Segments: len(payloads)}
	text, err := Decode(msgFmt, b)
	switch {
	case errors.Is(err, ErrBinary):
		a.Binary = true
	case err != nil:
		return nil, err
	}
	a.Text = text
	return a, nil
}

// ReassemblerOptions configures a Reassembler. The zero value gives the
// documented defaults.
type ReassemblerOptions struct {
	// TTL is how long a partial set is kept after its first segment
	// arrived. Default 2 h.
	TTL time.Duration
	// MaxPending bounds the number of partial sets; when a new set would
	// exceed it, the oldest set is dropped (counted in Stats.Evicted).
	// Default 10000.
	MaxPending int
}

// ReassemblerStats are counters of a Reassembler since its creation.
type ReassemblerStats struct {
	// Pending is the number of partial sets held now.
	Pending int
	// Completed counts messages returned by Add (single ones included).
	Completed uint64
	// Duplicates counts segments ignored because their index was already
	// held.
	Duplicates uint64
	// Expired counts partial sets dropped after TTL, by Expire or by an Add
	// that found its set stale.
	Expired uint64
	// Evicted counts partial sets dropped because MaxPending was reached.
	Evicted uint64
}

// Reassembler joins MO segments into messages in memory. It is safe for
// concurrent use and runs no goroutine: the caller passes the current time
// to Add and calls Expire periodically.
type Reassembler struct {
	ttl        time.Duration
	maxPending int

	mu    sync.Mutex
	sets  map[string]*partialSet
	stats ReassemblerStats
}

// partialSet holds the segments received so far of one message.
type partialSet struct {
	first            time.Time
	sender, receiver string
	ref              uint16
	msgFmt           uint8    // of segment 1 once it arrived
	payloads         [][]byte // by index-1; nil = missing
	have             int
}

// NewReassembler returns an empty Reassembler.
func NewReassembler(opts ReassemblerOptions) *Reassembler {
	if opts.TTL <= 0 {
		opts.TTL = DefaultReassemblyTTL
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	return &Reassembler{ttl: opts.TTL, maxPending: opts.MaxPending, sets: make(map[string]*partialSet)}
}

// Add takes one received part. It returns the complete message when this
// part completes one (at once for a single part), and nil, nil when the
// part was stored or was a duplicate. Segments may arrive in any order; a
// set older than the TTL is dropped before the part is added. Only a
// malformed UDH is an error.
func (r *Reassembler) Add(now time.Time, p Part) (*Assembled, error) {
	info, payload, err := ParsePart(p)
	if err != nil {
		return nil, err
	}
	if info.Single {
		a, err := Assemble(p.Sender, p.Receiver, p.MsgFmt, 0, [][]byte{payload})
		if err == nil {
			r.mu.Lock()
			r.stats.Completed++
			r.mu.Unlock()
		}
		return a, err
	}

	r.mu.Lock()
	set := r.sets[info.Key]
	if set != nil && now.Sub(set.first) >= r.ttl {
		delete(r.sets, info.Key)
		r.stats.Expired++
		set = nil
	}
	if set == nil {
		if len(r.sets) >= r.maxPending {
			r.evictOldestLocked()
		}
		set = &partialSet{first: now, sender: p.Sender, receiver: p.Receiver, ref: info.Reference,
			msgFmt: p.MsgFmt, payloads: make([][]byte, info.Total)}
		r.sets[info.Key] = set
	}
	i := int(info.Index) - 1
	if set.payloads[i] != nil {
		r.stats.Duplicates++
		r.mu.Unlock()
		return nil, nil
	}
	set.payloads[i] = append(make([]byte, 0, len(payload)), payload...) // non-nil even when empty
	set.have++
	if info.Index == 1 {
		set.msgFmt = p.MsgFmt
	}
	if set.have < len(set.payloads) {
		r.mu.Unlock()
		return nil, nil
	}
	delete(r.sets, info.Key)
	r.stats.Completed++
	r.mu.Unlock()
	return Assemble(set.sender, set.receiver, set.msgFmt, set.ref, set.payloads)
}

// Expire drops the partial sets whose first segment arrived TTL or more
// before now and returns how many it dropped.
func (r *Reassembler) Expire(now time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, set := range r.sets {
		if now.Sub(set.first) >= r.ttl {
			delete(r.sets, k)
			n++
		}
	}
	r.stats.Expired += uint64(n)
	return n
}

// Stats returns the current counters.
func (r *Reassembler) Stats() ReassemblerStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Pending = len(r.sets)
	return s
}

// evictOldestLocked drops the set with the oldest first segment. It scans
// all sets, which only happens when MaxPending is reached.
func (r *Reassembler) evictOldestLocked() {
	var oldestKey string
	var oldest time.Time
	for k, set := range r.sets {
		if oldestKey == "" || set.first.Before(oldest) {
			oldestKey, oldest = k, set.first
		}
	}
	if oldestKey != "" {
		delete(r.sets, oldestKey)
		r.stats.Evicted++
	}
}
