package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// keysOf returns the sorted keys of a JSON object.
func keysOf(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %v", v)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func wantKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keysOf(t, v); !reflect.DeepEqual(got, want) {
		t.Errorf("%s keys %v, want %v", what, got, want)
	}
}

// The sms.status body carries exactly the documented fields, with the
// Msg_Ids and outcomes the store recorded.
func TestStatusBody(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	reqID, evs := f.seedStatus("acme", rc.srv.URL, 2, 2, func(r, s int) string {
		if r == 2 && s == 2 {
			return "UNDELIV"
		}
		return "DELIVRD"
	})
	req, err := f.st.GetRequest(f.ctx, reqID)
	if err != nil {
		t.Fatal(err)
	}
	start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "both events delivered", func() bool { return rc.answered.Load() == 2 })

	bodies := map[string]map[string]any{}
	for _, q := range rc.requests() {
		var m map[string]any
		if err := json.Unmarshal(q.body, &m); err != nil {
			t.Fatalf("body %s: %v", q.body, err)
		}
		bodies[m["id"].(string)] = m
	}
	for r, eid := range evs {
		m := bodies[eid]
		if m == nil {
			t.Fatalf("no body for event %s", eid)
		}
		wantKeys(t, "event", m, "id", "type", "created_at", "data")
		if m["type"] != TypeStatus {
			t.Errorf("type %v", m["type"])
		}
		if _, err := time.Parse(time.RFC3339, m["created_at"].(string)); err != nil {
			t.Errorf("created_at: %v", err)
		}
		data := m["data"].(map[string]any)
		wantKeys(t, "data", data, "request_id", "client_ref", "channel", "tenant", "to", "recipient", "status", "error_code", "segments")
		if data["recipient"] != float64(r+1) {
			t.Errorf("recipient %d: data.recipient = %v", r+1, data["recipient"])
		}
		rc := req.Recipients[r]
		wantStatus, wantErr := "delivered", ""
		if r == 1 {
			wantStatus, wantErr = "failed", "UNDELIV"
		}
		for k, want := range map[string]string{
			"request_id": reqID, "client_ref": "ref-" + reqID, "channel": testChannel, "tenant": "acme",
			"to": rc.Number, "status": wantStatus, "error_code": wantErr,
		} {
			if data[k] != want {
				t.Errorf("recipient %d: data.%s = %v, want %q", r+1, k, data[k], want)
			}
		}
		segs := data["segments"].([]any)
		if len(segs) != 2 {
			t.Fatalf("%d segments", len(segs))
		}
		for s, sv := range segs {
			seg := sv.(map[string]any)
			wantKeys(t, "segment", seg, "number", "msg_id", "submit_result", "stat", "submitted_at", "reported_at", "error_code", "channel")
			if seg["channel"] != testChannel {
				t.Errorf("segment channel %v", seg["channel"])
			}
			st := rc.Segments[s]
			if seg["number"] != float64(s+1) || seg["msg_id"] != st.MsgID || seg["submit_result"] != float64(0) || seg["stat"] != st.Stat {
				t.Errorf("recipient %d segment %d: %v, store has %+v", r+1, s+1, seg, st)
			}
			if seg["submitted_at"] == nil || seg["reported_at"] == nil {
				t.Errorf("segment times missing: %v", seg)
			}
			wantSegErr := ""
			if st.Stat == "UNDELIV" {
				wantSegErr = "UNDELIV"
			}
			if seg["error_code"] != wantSegErr {
				t.Errorf("segment error_code %v, want %q", seg["error_code"], wantSegErr)
			}
		}
	}
}

// The sms.mo body carries exactly the documented fields; the extension is
// Dest_Id after the service code and text is not HTML-escaped.
func TestMOBody(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	eid := f.seedMO("1069001", "hi <&>", "")
	start(t, f.fastConfig(tenants(rc.srv.URL)))
	testenv.WaitFor(t, waitLong, "delivered", func() bool { return rc.answered.Load() == 1 })
	body := rc.requests()[0].body
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "event", m, "id", "type", "created_at", "data")
	data := m["data"].(map[string]any)
	wantKeys(t, "data", data, "channel", "tenant", "from", "to", "ext", "content", "msg_fmt", "segments", "link_id", "received_at")
	if m["id"] != eid || m["type"] != TypeMO {
		t.Errorf("envelope %v", m)
	}
	want := map[string]any{
		"channel": testChannel, "tenant": "acme", "from": "13800138000", "to": "1069001", "ext": "01",
		"content": "hi <&>", "msg_fmt": float64(0), "segments": float64(1), "link_id": "",
	}
	for k, v := range want {
		if data[k] != v {
			t.Errorf("data.%s = %v, want %v", k, data[k], v)
		}
	}
	if !json.Valid(body) || !bytes.Contains(body, []byte(`"hi <&>"`)) {
		t.Errorf("content escaped: %s", body)
	}
}

// RenderMO decodes UCS2 and GBK text and gives binary payloads in hex.
func TestRenderMOFormats(t *testing.T) {
	at := time.Date(2026, 11, 22, 2, 40, 0, 123e6, time.UTC)
	for _, tc := range []struct {
		fmt  uint8
		data []byte
		want string
	}{
		{8, []byte{0x4f, 0x60, 0x59, 0x7d}, "你好"},
		{15, []byte{0xc4, 0xe3, 0xba, 0xc3}, "你好"},
		{4, []byte{0x00, 0xff}, "00ff"},
	} {
		ev := &store.Event{ID: "e1", Channel: "cm1", Type: store.EventMO, CreatedAt: at,
			MO: &store.MO{Src: "1", Dest: "10690", MsgFmt: tc.fmt, Data: tc.data, Parts: 2, FirstAt: at}}
		b, err := RenderMO(ev, "acme", "")
		if err != nil {
			t.Fatal(err)
		}
		var got MOEvent
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Data.Content != tc.want || got.Data.MsgFmt != int(tc.fmt) || got.Data.Segments != 2 || !got.CreatedAt.Equal(at) {
			t.Errorf("fmt %d: %+v", tc.fmt, got)
		}
		if !bytes.Contains(b, []byte(`"created_at":"2026-11-22T02:40:00.123Z"`)) {
			t.Errorf("created_at format: %s", b)
		}
	}
	if _, err := RenderMO(&store.Event{ID: "x", Type: store.EventStatus}, "", ""); err == nil {
		t.Error("RenderMO accepted an sms.status event")
	}
	if _, err := RenderStatus(&store.Event{ID: "x", Type: store.EventMO}, nil); err == nil {
		t.Error("RenderStatus accepted an sms.mo event")
	}
}

// Without the request (expired), sms.status is still rendered from the
// event, with no segments.
func TestRenderStatusWithoutRequest(t *testing.T) {
	ev := &store.Event{ID: "e", Channel: "cm1", Type: store.EventStatus, RequestID: "r1", Tenant: "acme",
		To: "138", Status: store.RecipientUnknown, ErrorCode: "report_timeout", Recipient: 1}
	b, err := RenderStatus(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got StatusEvent
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Data.Status != StatusUnknown || got.Data.ErrorCode != "report_timeout" || got.Data.Segments == nil || len(got.Data.Segments) != 0 {
		t.Fatalf("%s", b)
	}
}

// The HTTP client does not follow redirects: a 3xx is a failed attempt.
func TestRedirectNotFollowed(t *testing.T) {
	f := newFixture(t, store.Options{})
	target := newReceiver(t, nil)
	redirect := newReceiver(t, nil)
	redirect.srv.Config.Handler = http.RedirectHandler(target.srv.URL, http.StatusFound)
	eid := f.seedMO("1069001", "m", redirect.srv.URL)
	start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "attempt failed", func() bool { return f.event(eid).LastError != "" })
	if target.count() != 0 {
		t.Fatal("redirect followed")
	}
	if le := f.event(eid).LastError; !strings.HasPrefix(le, "HTTP 302") {
		t.Fatalf("last error %q", le)
	}
}

// An event that carries its segment states renders to the same bytes as
// the same event rendered from its request (the path of events created
// before the states were recorded), and to the same bytes every time.
func TestRenderStatusFromEventMatchesRequest(t *testing.T) {
	f := newFixture(t, store.Options{})
	reqID, _ := f.seedStatus("acme", "http://hooks.invalid/status", 3, 2, func(r, s int) string {
		if r == 2 && s == 1 {
			return "UNDELIV"
		}
		return "DELIVRD"
	})
	req, err := f.st.GetRequest(f.ctx, reqID)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := f.st.LeaseEvents(f.ctx, testChannel, 10)
	if err != nil || len(evs) != 3 {
		t.Fatalf("LeaseEvents: %d %v", len(evs), err)
	}
	for i := range evs {
		ev := evs[i]
		if len(ev.Segments) != 2 {
			t.Fatalf("event %s: %d segments recorded, want 2", ev.ID, len(ev.Segments))
		}
		fromEvent, err := RenderStatus(&ev, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := RenderStatus(&ev, req)
		old := ev
		old.Segments = nil
		fromRequest, err := RenderStatus(&old, req)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fromEvent, fromRequest) || !bytes.Equal(fromEvent, again) {
			t.Errorf("event %s:\nfrom event   %s\nfrom request %s\nagain        %s", ev.ID, fromEvent, fromRequest, again)
		}
	}
}

// Events stored without segment states (created before they were
// recorded) are still delivered with the segments, read from the request.
// Such events are hashes of the previous store version (the store now
// keeps records, see store/eventrec.go): withoutSegments rewrites the new
// events in that form, as an upgrade finds them.
func TestStatusWithoutRecordedSegments(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	_, eids := f.seedStatus("acme", rc.srv.URL, 2, 3, delivrd)
	f.withoutSegments(eids...)
	start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "both events delivered", func() bool { return rc.answered.Load() == 2 })
	for _, q := range rc.requests() {
		var got StatusEvent
		if err := json.Unmarshal(q.body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Data.Segments) != 3 || got.Data.Segments[2].MsgID == "" {
			t.Errorf("body without the request's segments: %s", q.body)
		}
	}
}

// An sms.status event with its segment states renders to identical bytes
// from two independent leases (a retry in between), which is why its body
// is not saved: the dispatcher leaves no body in the store.
func TestStatusRenderDeterministicAcrossLeases(t *testing.T) {
	f := newFixture(t, store.Options{})
	f.seedStatus("acme", "http://hooks.invalid/status", 1, 3, func(r, s int) string {
		if s == 2 {
			return "EXPIRED"
		}
		return "DELIVRD"
	})
	render := func() (string, []byte) {
		evs, err := f.st.LeaseEvents(f.ctx, testChannel, 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("LeaseEvents: %+v %v", evs, err)
		}
		j := New(f.fastConfig(tenants(""))).prepare(testChannel, &evs[0], requestState{})
		if j.dead != "" || j.retryErr != "" || j.fresh || len(j.body) == 0 {
			t.Fatalf("prepare: %+v", j)
		}
		return evs[0].ID, j.body
	}
	eid, first := render()
	if err := f.st.RetryEvent(f.ctx, testChannel, eid, time.Now().Add(-time.Second), "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	_, second := render()
	if !bytes.Equal(first, second) {
		t.Fatalf("two leases rendered different bytes:\n%s\n%s", first, second)
	}
	if ev := f.event(eid); ev.Body != nil || len(ev.Segments) != 3 {
		t.Fatalf("event after two leases: body %q, %d segments", ev.Body, len(ev.Segments))
	}
}
