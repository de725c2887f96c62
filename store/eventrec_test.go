package store

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

// recordValues are field values an event record must carry unchanged.
var recordValues = []string{
	"", "a|b||c", "ünïcødé 中文 🚀", "\x00\xff\xfe|~:9", "att1:1", "~id3:abc", "12:", "x",
	string(bytes.Repeat([]byte("0123456789"), 30)),
}

func TestEventRecordRoundTrip(t *testing.T) {
	names := []string{"id", "at", "type", "lerr", "body", "data", "ref", "cb", "segs"}
	for _, v := range recordValues {
		m := map[string]string{}
		for _, n := range names {
			m[n] = v + n
		}
		m["body"] = v // empty body included
		rec := encodeEventRecord(names, m)
		got, err := decodeEventRecord(rec)
		if err != nil || !maps.Equal(got, m) {
			t.Fatalf("round trip of %q: %v\n got %q\nwant %q", v, err, got, m)
		}
	}
	// A missing field is left out; "~" alone is an empty record.
	if rec := encodeEventRecord([]string{"a", "b"}, map[string]string{"b": ""}); rec != "~b0:" {
		t.Fatalf("record %q", rec)
	}
	if m, err := decodeEventRecord("~"); err != nil || len(m) != 0 {
		t.Fatalf("empty record: %v %v", m, err)
	}
}

func TestDecodeEventRecordMalformed(t *testing.T) {
	for _, bad := range []string{
		"", "id3:abc", "~id", "~id3", "~id3abc", "~id4:abc", "~3:abc", "~ID3:abc", "~id-1:", "~id3:abcx",
		"~id9999999999:a", "~id3:abctype",
	} {
		if _, err := decodeEventRecord(bad); !errors.Is(err, errEventRecord) {
			t.Errorf("decodeEventRecord(%q): err %v, want errEventRecord", bad, err)
		}
	}
	// The fields before the fault are returned: the event keeps its id.
	if m, _ := decodeEventRecord("~id3:abctype"); m["id"] != "abc" {
		t.Fatalf("fields before the fault: %q", m)
	}
}

// FuzzDecodeEventRecord: the decoder never panics, and a record it accepts
// encodes back (its fields in any order) to one that decodes the same.
func FuzzDecodeEventRecord(f *testing.F) {
	f.Add("~id3:abcat13:1700000000000type10:sms.status")
	f.Add("~att1:1id5:x-1|2body0:")
	f.Add("~data4:\x00|\xff~")
	f.Add("~id99:x")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := decodeEventRecord(s)
		if err != nil {
			return
		}
		names := slices.Sorted(maps.Keys(m))
		back, err := decodeEventRecord(encodeEventRecord(names, m))
		if err != nil || !maps.Equal(back, m) {
			t.Fatalf("re-encoded record of %q: %v %q", s, err, back)
		}
	})
}

// TestEventRecordLua: the records written by the scripts (new_event in
// mo.lua, ev_retry.lua, ev_body.lua, ev_lease.lua) carry any bytes: "|",
// "~", NUL, invalid UTF-8, unicode, empty values.
func TestEventRecordLua(t *testing.T) {
	backends(t, func(f *fixture) {
		for i, v := range recordValues {
			mo, err := f.st.MOPart(f.ctx, f.ch, MOPart{
				DeliverMsgID: fmt.Sprintf("%022d", i+1), Src: "13800138000", Dest: "10690" + fmt.Sprint(i),
				ServiceID: "svc|" + v, LinkID: v, Total: 1, Index: 1, Data: []byte(v), CallbackURL: v,
			})
			if err != nil || mo == nil {
				f.t.Fatalf("MOPart: %v %v", mo, err)
			}
			// Ready, never leased: found in the ready list.
			ev, err := f.st.GetEvent(f.ctx, f.ch, mo.EventID)
			if err != nil || ev.ID != mo.EventID || string(ev.MO.Data) != v || ev.Attempts != 0 {
				f.t.Fatalf("GetEvent of a ready event: %+v %v", ev, err)
			}
			evs, err := f.st.LeaseEvents(f.ctx, f.ch, 5)
			if err != nil || len(evs) != 1 {
				f.t.Fatalf("LeaseEvents: %+v %v", evs, err)
			}
			e := evs[0]
			if e.ID != mo.EventID || e.Type != EventMO || e.Attempts != 1 || e.CallbackURL != v || e.Body != nil ||
				string(e.MO.Data) != v || e.MO.ServiceID != "svc|"+v || e.MO.LinkID != v || e.MO.Src != "13800138000" ||
				!e.CreatedAt.Equal(f.clock.Now()) || e.MO.Parts != 1 {
				f.t.Fatalf("value %q: leased event %+v %+v", v, e, e.MO)
			}
			body, err := f.st.SaveEventBody(f.ctx, f.ch, e.ID, []byte(v))
			if err != nil || string(body) != v {
				f.t.Fatalf("SaveEventBody(%q): %q %v", v, body, err)
			}
			if err := f.st.RetryEvent(f.ctx, f.ch, e.ID, f.clock.Now(), "HTTP 500: "+v); err != nil {
				f.t.Fatal(err)
			}
			evs, err = f.st.LeaseEvents(f.ctx, f.ch, 5)
			if err != nil || len(evs) != 1 {
				f.t.Fatalf("LeaseEvents after retry: %+v %v", evs, err)
			}
			e = evs[0]
			if e.Attempts != 2 || e.LastError != "HTTP 500: "+v || e.Body == nil || string(e.Body) != v ||
				string(e.MO.Data) != v || e.NextAttempt.IsZero() {
				f.t.Fatalf("value %q: retried event %+v", v, e)
			}
			if err := f.st.AckEvents(f.ctx, f.ch, []string{e.ID}); err != nil {
				f.t.Fatal(err)
			}
		}
		if d := f.depth(); d.EventsReady+d.EventsLeased+d.EventsScheduled != 0 {
			f.t.Fatalf("events left: %+v", d)
		}
	})
}

// TestLegacyEvents: event hashes of the previous version, in its list and
// sets, are delivered after an upgrade: Recover moves the ready ones, due
// retries, expired leases and dead letters; LeaseEvents reads the hashes
// (attempts counted on) and rewrites them as records; ListDead and Replay
// read a dead hash. Leases not expired and retries not due stay where a
// process of the previous version may still own them.
func TestLegacyEvents(t *testing.T) {
	backends(t, func(f *fixture) {
		k := f.st.Keys()
		now := f.clock.Now()
		at := fmt.Sprint(now.Add(-time.Minute).UnixMilli())
		legacy := func(eid string, extra ...string) {
			h := map[string]string{
				"id": eid, "at": at, "att": "2", "type": "sms.status", "req": "r" + eid, "r": "1",
				"to": "13800138000", "status": "delivered", "err": "", "cb": "http://cb.example/h?a=1|2",
				"tenant": "acme", "ref": "ref|1", "segs": "d|1|m1|0|DELIVRD|1000|2000|||2511221011",
			}
			for i := 0; i+1 < len(extra); i += 2 {
				h[extra[i]] = extra[i+1]
			}
			f.env.SeedHash(f.t, k.Event(f.ch, eid), h)
		}
		ms := func(d time.Duration) string { return fmt.Sprint(now.Add(d).UnixMilli()) }
		legacy("old-1")
		f.env.Do(f.t, "RPUSH", k.LegacyEventQueue(f.ch), "old-1")
		legacy("old-2", "lerr", "HTTP 503", "next", ms(-time.Second), "body", `{"b":2}`)
		f.env.Do(f.t, "ZADD", k.LegacyEventSched(f.ch), ms(-time.Second), "old-2")
		legacy("old-3")
		f.env.Do(f.t, "ZADD", k.LegacyEventLease(f.ch), ms(-time.Second), "old-3")
		legacy("old-4", "lerr", "HTTP 410", "dead", ms(-time.Hour))
		f.env.Do(f.t, "EXPIRE", k.Event(f.ch, "old-4"), "3600")
		f.env.Do(f.t, "ZADD", k.LegacyEventDead(f.ch), ms(-time.Hour), "old-4")
		// Owned by a process of the previous version: left alone.
		legacy("old-5")
		f.env.Do(f.t, "ZADD", k.LegacyEventLease(f.ch), ms(time.Minute), "old-5")
		legacy("old-6")
		f.env.Do(f.t, "ZADD", k.LegacyEventSched(f.ch), ms(time.Minute), "old-6")

		if ev, err := f.st.GetEvent(f.ctx, f.ch, "old-1"); err != nil || ev.ClientRef != "ref|1" || ev.Attempts != 2 {
			f.t.Fatalf("GetEvent of a legacy hash: %+v %v", ev, err)
		}
		// Events counts every legacy event made ready (ready, due retry,
		// expired lease), so that the dispatcher is woken for them.
		rec, err := f.st.Recover(f.ctx, f.ch)
		if err != nil || rec != (Recovery{Events: 3}) {
			f.t.Fatalf("Recover: %+v %v", rec, err)
		}
		evs, err := f.st.LeaseEvents(f.ctx, f.ch, 10)
		if err != nil || len(evs) != 3 {
			f.t.Fatalf("LeaseEvents: %+v %v", evs, err)
		}
		got := map[string]Event{}
		for _, e := range evs {
			got[e.ID] = e
			if e.Attempts != 3 || e.Type != EventStatus || e.RequestID != "r"+e.ID || e.Recipient != 1 ||
				e.CallbackURL != "http://cb.example/h?a=1|2" || e.ClientRef != "ref|1" || e.Tenant != "acme" ||
				e.Status != RecipientDelivered || len(e.Segments) != 1 || e.Segments[0].MsgID != "m1" ||
				!e.CreatedAt.Equal(now.Add(-time.Minute).Truncate(time.Millisecond)) {
				f.t.Fatalf("legacy event %+v", e)
			}
			if _, ok := f.env.Get(f.t, k.Event(f.ch, e.ID)); !ok {
				f.t.Fatalf("legacy event %s not rewritten as a record", e.ID)
			}
		}
		if e := got["old-2"]; string(e.Body) != `{"b":2}` || e.LastError != "HTTP 503" {
			f.t.Fatalf("legacy retried event %+v", e)
		}
		if _, ok := got["old-3"]; !ok {
			f.t.Fatalf("legacy expired lease not leased: %v", got)
		}
		dead, err := f.st.ListDead(f.ctx, f.ch, 0, 10)
		if err != nil || len(dead) != 1 || dead[0].ID != "old-4" || dead[0].LastError != "HTTP 410" || dead[0].DeadAt.IsZero() {
			f.t.Fatalf("ListDead: %+v %v", dead, err)
		}
		if err := f.st.Replay(f.ctx, f.ch, "old-4"); err != nil {
			f.t.Fatal(err)
		}
		if ttl := f.env.TTL(f.t, k.Event(f.ch, "old-4")); ttl != -1 {
			f.t.Fatalf("replayed legacy event TTL %v", ttl)
		}
		evs, err = f.st.LeaseEvents(f.ctx, f.ch, 10)
		if err != nil || len(evs) != 1 || evs[0].ID != "old-4" || evs[0].Attempts != 1 || !evs[0].DeadAt.IsZero() {
			f.t.Fatalf("replayed legacy event: %+v %v", evs, err)
		}
		ids := []string{"old-1", "old-2", "old-3", "old-4"}
		if err := f.st.AckEvents(f.ctx, f.ch, ids); err != nil {
			f.t.Fatal(err)
		}
		for _, id := range ids {
			if f.env.Exists(f.t, k.Event(f.ch, id)) {
				f.t.Fatalf("acked %s still stored", id)
			}
		}
		for key, want := range map[string]string{k.LegacyEventLease(f.ch): "old-5", k.LegacyEventSched(f.ch): "old-6"} {
			if m, _ := f.env.Do(f.t, "ZRANGE", key, 0, -1).([]any); len(m) != 1 || m[0] != want {
				f.t.Fatalf("%s: %v, want %s left alone", key, m, want)
			}
		}
		if f.env.Exists(f.t, k.LegacyEventQueue(f.ch)) || f.env.Exists(f.t, k.LegacyEventDead(f.ch)) {
			f.t.Fatal("legacy list or dead set not drained")
		}
		f.env.Do(f.t, "DEL", k.Event(f.ch, "old-5"), k.Event(f.ch, "old-6"), k.LegacyEventLease(f.ch), k.LegacyEventSched(f.ch))
	})
}
