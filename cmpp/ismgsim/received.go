package ismgsim

import (
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// ReceivedSegment is one SUBMIT as received, for one of its recipients: a
// SUBMIT with n Dest_terminal_Ids is recorded as n entries, recipient k
// with MsgID = the SUBMIT_RESP Msg_Id plus k on its 16-bit sequence.
type ReceivedSegment struct {
	SPID       string     // account that sent it
	LinkID     uint64     // simulator's number of the connection it came on (not the CMPP 3.0 LinkID field)
	Seq        uint32     // the SUBMIT's Sequence_Id
	MsgID      cmpp.MsgID // Msg_Id assigned to this recipient
	Result     uint32     // SUBMIT_RESP Result (0 accepted)
	PkTotal    uint8      // Pk_total
	PkNumber   uint8      // Pk_number
	TPUDHI     uint8      // TP_udhi as received
	MsgFmt     uint8      // Msg_Fmt
	Content    []byte     // Msg_Content, UDH included; shared, do not modify
	Dest       string     // this recipient's Dest_terminal_Id
	Recipients int        // DestUsr_tl of the SUBMIT
	SrcID      string     // Src_Id
	ServiceID  string     // Service_Id
	MsgSrc     string     // Msg_src
	// RegisteredDelivery is the SUBMIT's Registered_Delivery.
	RegisteredDelivery uint8
	At                 time.Time // when it was received
}

// receivedLog is a ring of the most recent ReceivedSegments. Appending is
// one lock and one struct copy; the ring grows up to max and then
// overwrites the oldest entry.
type receivedLog struct {
	mu    sync.Mutex
	max   int // ≤ 0: record nothing
	buf   []ReceivedSegment
	start int // index of the oldest entry once the ring is full
}

// add appends one entry.
func (r *receivedLog) add(seg *ReceivedSegment) {
	if r.max <= 0 {
		return
	}
	r.mu.Lock()
	if len(r.buf) < r.max {
		r.buf = append(r.buf, *seg)
	} else {
		r.buf[r.start] = *seg
		r.start++
		if r.start == len(r.buf) {
			r.start = 0
		}
	}
	r.mu.Unlock()
}

// snapshot returns the entries, oldest first, optionally only those of
// spID ("" = all) and only the last limit (≤ 0 = all).
func (r *receivedLog) snapshot(spID string, limit int) []ReceivedSegment {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.buf)
	out := make([]ReceivedSegment, 0, n)
	for i := range n {
		seg := &r.buf[(r.start+i)%n]
		if spID == "" || seg.SPID == spID {
			out = append(out, *seg)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// reset forgets every entry.
func (r *receivedLog) reset() {
	r.mu.Lock()
	r.buf = nil
	r.start = 0
	r.mu.Unlock()
}
