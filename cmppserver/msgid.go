package cmppserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store"
)

// msgIDZone is the time zone of the time fields of the Msg_Ids smsbridge
// assigns: the store's CMPP zone (China time, as the operators' gateways
// use), the same on every replica, so the cluster-wide sequence of a
// second (store.ReserveMsgSeq) is keyed the same everywhere.
var msgIDZone = store.CMPPTimeZone

// msgIDBlock is the fewest sequence numbers a replica reserves per Redis
// call (more when one SUBMIT needs more).
const msgIDBlock = 64

// msgIDBlockMax bounds the block a busy replica reserves. It reserves an
// eighth of what it used in the previous second, between msgIDBlock and
// msgIDBlockMax: a steady 14,000 Msg_Ids a second cost about 14
// ReserveMsgSeq round trips a second instead of 220, and a replica leaves
// at most one block of a second's 65,536 numbers unused at its end.
const msgIDBlockMax = 1024

// msgSeqPerSecond is the size of one second's sequence space (16 bits).
const msgSeqPerSecond = 1 << 16

// msgIDAlloc assigns Msg_Ids unique across replicas (PROTOCOL.md §7):
// time of the second, the configured gateway code, and a sequence number
// reserved cluster-wide per second in blocks. It is safe for concurrent
// use; a Redis call is made only when the block is used up (or the second
// changed), under the lock, so callers of one replica queue behind it.
type msgIDAlloc struct {
	st      *store.Store
	gateway uint32
	now     func() time.Time

	mu sync.Mutex
	// sec is the second of the current block; next..end its unused
	// sequence numbers.
	sec       time.Time
	next, end int
	// used counts the numbers handed out in second sec, prevUsed those of
	// the second before it (0 when it was idle): the size of the next
	// block.
	used, prevUsed int
}

// blockSize is how many sequence numbers to reserve when n are needed.
// a.mu must be held.
func (a *msgIDAlloc) blockSize(n int) int {
	return max(n, min(max(msgIDBlock, a.prevUsed/8), msgIDBlockMax))
}

// newMsgIDAlloc returns an allocator for gateway code gateway.
func newMsgIDAlloc(st *store.Store, gateway uint32) *msgIDAlloc {
	return &msgIDAlloc{st: st, gateway: gateway, now: time.Now}
}

// take returns the first of n consecutive Msg_Ids (n ≥ 1): recipient k
// of a SUBMIT is first.AddSequence(k-1), all in one second, never
// wrapping the 16-bit sequence. When the current second's numbers are all
// taken cluster-wide, the next second is used (ahead of the clock if
// need be).
func (a *msgIDAlloc) take(ctx context.Context, n int) (cmpp.MsgID, error) {
	if n < 1 || n > msgSeqPerSecond {
		return 0, fmt.Errorf("cmppserver: %d Msg_Ids asked at once", n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now().In(msgIDZone).Truncate(time.Second)
	if now.After(a.sec) {
		a.prevUsed = 0
		if now.Sub(a.sec) == time.Second {
			a.prevUsed = a.used
		}
		a.sec, a.next, a.end, a.used = now, 0, 0, 0
	}
	for a.end-a.next < n {
		block := a.blockSize(n)
		first, err := a.st.ReserveMsgSeq(ctx, a.sec.Format("0102150405"), block)
		switch {
		case errors.Is(err, store.ErrSeqExhausted):
			a.sec, a.next, a.end = a.sec.Add(time.Second), 0, 0
			continue
		case err != nil:
			return 0, err
		}
		if first < 0 || first+block > msgSeqPerSecond {
			// A partial block at the end of the second: use what fits
			// whole SUBMITs, then move on to the next second.
			if first >= 0 && first+n <= msgSeqPerSecond {
				a.next, a.end = first, msgSeqPerSecond
				break
			}
			a.sec, a.next, a.end = a.sec.Add(time.Second), 0, 0
			continue
		}
		a.next, a.end = first, first+block
	}
	id := cmpp.NewMsgID(cmpp.MsgIDFields{
		Month: uint32(a.sec.Month()), Day: uint32(a.sec.Day()), Hour: uint32(a.sec.Hour()),
		Minute: uint32(a.sec.Minute()), Second: uint32(a.sec.Second()),
		Gateway: a.gateway, Sequence: uint16(a.next),
	})
	a.next += n
	a.used += n
	return id, nil
}
