package store

import (
	"bytes"
	"errors"
	"testing"
)

func TestMOReassembly(t *testing.T) {
	backends(t, func(f *fixture) {
		part := func(dmid string, idx int, data string) MOPart {
			return MOPart{
				DeliverMsgID: dmid, Src: "13800138000", Dest: "106901", ServiceID: "SVC", LinkID: "L1",
				MsgFmt: 8, Ref: 0x7f, Total: 3, Index: idx, Data: []byte(data), CallbackURL: "http://mo",
			}
		}
		// Parts out of order; part 3 cuts a UTF-16 pair in half (bytes are joined raw).
		p3 := part("d3", 3, "\xde\x00")
		p1 := part("d1", 1, "\x00h\x00i")
		p2 := part("d2", 2, "\x00!\xd8\x3d")
		for _, p := range []MOPart{p3, p1} {
			if mo, err := f.st.MOPart(f.ctx, f.ch, p); err != nil || mo != nil {
				f.t.Fatalf("part %d: %+v %v", p.Index, mo, err)
			}
		}
		key := f.st.Keys().MO(f.ch, MOPartKey(p1.Src, p1.Dest, p1.Ref, 3))
		if ttl := f.env.TTL(f.t, key); ttl <= 0 || ttl > DefaultMOPartTTL {
			f.t.Fatalf("MO partial TTL %v", ttl)
		}
		// A resent DELIVER (same DELIVER Msg_Id) and the same index under a
		// new DELIVER Msg_Id are both dropped.
		if mo, err := f.st.MOPart(f.ctx, f.ch, p1); err != nil || mo != nil {
			f.t.Fatalf("resent DELIVER: %+v %v", mo, err)
		}
		dupIdx := part("d1b", 1, "XX")
		if mo, err := f.st.MOPart(f.ctx, f.ch, dupIdx); err != nil || mo != nil {
			f.t.Fatalf("duplicate index: %+v %v", mo, err)
		}
		mo, err := f.st.MOPart(f.ctx, f.ch, p2)
		if err != nil || mo == nil {
			f.t.Fatalf("last part: %+v %v", mo, err)
		}
		want := []byte("\x00h\x00i\x00!\xd8\x3d\xde\x00")
		if !bytes.Equal(mo.Data, want) || mo.Parts != 3 || mo.Src != "13800138000" || mo.Dest != "106901" ||
			mo.ServiceID != "SVC" || mo.LinkID != "L1" || mo.MsgFmt != 8 || mo.EventID == "" ||
			!mo.FirstAt.Equal(f.clock.Now()) {
			f.t.Fatalf("MO: %+v", mo)
		}
		if f.env.Exists(f.t, key) {
			f.t.Fatal("partial set not deleted after completion")
		}
		if ttl := f.env.TTL(f.t, f.st.Keys().Dedup(f.ch, "d2")); ttl <= 0 || ttl > DefaultDedupTTL {
			f.t.Fatalf("dedup TTL %v", ttl)
		}
		// Single-part message.
		one, err := f.st.MOPart(f.ctx, f.ch, MOPart{DeliverMsgID: "s1", Src: "139", Dest: "1069", Data: []byte("yes"), Total: 1})
		if err != nil || one == nil || string(one.Data) != "yes" || one.Parts != 1 {
			f.t.Fatalf("single part: %+v %v", one, err)
		}
		if again, _ := f.st.MOPart(f.ctx, f.ch, MOPart{DeliverMsgID: "s1", Src: "139", Dest: "1069", Data: []byte("yes")}); again != nil {
			f.t.Fatalf("resent single part: %+v", again)
		}
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 5)
		if err != nil || len(evs) != 2 {
			f.t.Fatalf("MO events: %+v %v", evs, err)
		}
		e := evs[0]
		if e.Type != EventMO || e.ID != mo.EventID || e.CallbackURL != "http://mo" || e.MO == nil ||
			!bytes.Equal(e.MO.Data, want) || e.MO.Parts != 3 || e.MO.Src != "13800138000" {
			f.t.Fatalf("MO event: %+v %+v", e, e.MO)
		}
		if _, err := f.st.MOPart(f.ctx, f.ch, MOPart{Src: "1"}); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("no DeliverMsgID: %v", err)
		}
		if _, err := f.st.MOPart(f.ctx, f.ch, MOPart{DeliverMsgID: "x", Total: 2, Index: 3}); !errors.Is(err, ErrInvalid) {
			f.t.Fatalf("index out of range: %v", err)
		}
		assertChannelSlot(f)
	})
}
