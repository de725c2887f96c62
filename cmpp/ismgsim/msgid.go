package ismgsim

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// msgIDGen assigns Msg_Ids (§7): the current local time to the second, the
// gateway code and a per-server 16-bit sequence that wraps. The time part
// is cached per second so the hot path is one atomic add and one load.
type msgIDGen struct {
	gateway uint32
	seq     atomic.Uint32
	cache   atomic.Pointer[msgIDPrefix]
}

type msgIDPrefix struct {
	unix int64
	base cmpp.MsgID // time and gateway bits, sequence 0
}

// next reserves n consecutive sequence values and returns the Msg_Id of the
// first; the others are its AddSequence(1..n-1) (group send, §4.1).
func (g *msgIDGen) next(n int, now time.Time) cmpp.MsgID {
	if n < 1 {
		n = 1
	}
	first := uint16(g.seq.Add(uint32(n)) - uint32(n))
	sec := now.Unix()
	p := g.cache.Load()
	if p == nil || p.unix != sec {
		t := now.Local()
		p = &msgIDPrefix{unix: sec, base: cmpp.NewMsgID(cmpp.MsgIDFields{
			Month: uint32(t.Month()), Day: uint32(t.Day()), Hour: uint32(t.Hour()),
			Minute: uint32(t.Minute()), Second: uint32(t.Second()), Gateway: g.gateway,
		})}
		g.cache.Store(p)
	}
	return p.base | cmpp.MsgID(first)
}

// statPicker draws report Stats from the weighted Config.StatMix.
type statPicker struct {
	stats []string
	cum   []int // cumulative weights
}

func newStatPicker(mix []StatWeight) statPicker {
	var p statPicker
	total := 0
	for _, w := range mix {
		if w.Weight <= 0 {
			continue
		}
		total += w.Weight
		p.stats = append(p.stats, w.Stat)
		p.cum = append(p.cum, total)
	}
	return p
}

// pick returns a Stat; a single-entry mix needs no random number.
func (p *statPicker) pick() string {
	if len(p.stats) == 1 {
		return p.stats[0]
	}
	r := rand.IntN(p.cum[len(p.cum)-1])
	for i, c := range p.cum {
		if r < c {
			return p.stats[i]
		}
	}
	return p.stats[len(p.stats)-1]
}

// reportTime formats t as YYMMDDHHMM (Submit_time / Done_time, §5.2). The
// text of the current minute is cached: every report needs it.
func reportTime(t time.Time) string {
	minute := t.Unix() / 60
	if c := reportTimeCache.Load(); c != nil && c.minute == minute {
		return c.text
	}
	c := &minuteText{minute: minute, text: t.Local().Format("0601021504")}
	reportTimeCache.Store(c)
	return c.text
}

// minuteText is the YYMMDDHHMM text of one minute (Unix time / 60).
type minuteText struct {
	minute int64
	text   string
}

var reportTimeCache atomic.Pointer[minuteText]
