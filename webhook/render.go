package webhook

import (
	"encoding/hex"
	"fmt"

	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/store"
)

// RenderStatus renders the body of an sms.status event from the event and
// the state of its request. Events that carry their segment states
// (ev.Segments, recorded when the event was created) need no request:
// pass nil. For older events req gives the segments; when it is nil too
// (the request hash expired) the segments are empty and the rest comes
// from the event.
func RenderStatus(ev *store.Event, req *store.Request) ([]byte, error) {
	if ev.Type != store.EventStatus {
		return nil, fmt.Errorf("webhook: RenderStatus: event %s has type %q", ev.ID, ev.Type)
	}
	// The segments of most events fit in these (on the stack: the body
	// is written from them, they are not kept); more take the heap.
	var segBuf [segmentsOnStack]SegmentData
	var valBuf [segmentsOnStack]segmentValues
	data := StatusData{
		RequestID: ev.RequestID, ClientRef: ev.ClientRef, Channel: ev.Channel, Tenant: ev.Tenant,
		To: ev.To, Recipient: ev.Recipient, Status: string(ev.Status), ErrorCode: ev.ErrorCode,
		Segments: segBuf[:0],
	}
	segments := func(sts []store.SegmentState) {
		if len(sts) <= len(segBuf) {
			for i := range sts {
				segBuf[i] = segmentData(&sts[i], &valBuf[i])
				segBuf[i].Channel = ev.Channel
			}
			data.Segments = segBuf[:len(sts)]
			return
		}
		segs, vals := make([]SegmentData, len(sts)), make([]segmentValues, len(sts))
		for i := range sts {
			segs[i] = segmentData(&sts[i], &vals[i])
			segs[i].Channel = ev.Channel
		}
		data.Segments = segs
	}
	if ev.Segments != nil {
		segments(ev.Segments)
		req = nil // the event has all the request could add
	}
	if req != nil {
		if data.ClientRef == "" {
			data.ClientRef = req.ClientRef
		}
		if data.Tenant == "" {
			data.Tenant = req.Tenant
		}
		if ev.Recipient >= 1 && ev.Recipient <= len(req.Recipients) {
			rc := &req.Recipients[ev.Recipient-1]
			if data.To == "" {
				data.To = rc.Number
			}
			segments(rc.Segments)
		}
	}
	v := StatusEvent{ID: ev.ID, Type: TypeStatus, CreatedAt: Time{ev.CreatedAt}, Data: data}
	return appendStatusEvent(make([]byte, 0, bodySizeHint), &v), nil
}

// segmentsOnStack is how many segments RenderStatus converts without
// allocating.
const segmentsOnStack = 4

// segmentValues holds what the pointer fields of a SegmentData point to.
type segmentValues struct {
	submitResult            uint32
	submittedAt, reportedAt Time
}

// segmentData converts the store's job state; the pointer fields point
// into vals.
func segmentData(st *store.SegmentState, vals *segmentValues) SegmentData {
	sd := SegmentData{Number: st.Index, MsgID: st.MsgID, Stat: st.Stat}
	if !st.SubmittedAt.IsZero() {
		vals.submittedAt = Time{st.SubmittedAt}
		sd.SubmittedAt = &vals.submittedAt
	}
	if !st.ReportedAt.IsZero() {
		vals.reportedAt = Time{st.ReportedAt}
		sd.ReportedAt = &vals.reportedAt
	}
	if st.HasSubmitResult {
		vals.submitResult = st.SubmitResult
		sd.SubmitResult = &vals.submitResult
	}
	if st.State != store.JobDelivered {
		sd.ErrorCode = st.ErrorCode
	}
	return sd
}

// RenderMO renders the body of an sms.mo event routed to tenant, ext being
// the Dest_Id extension (see Tenants.RouteMO).
func RenderMO(ev *store.Event, tenant, ext string) ([]byte, error) {
	if ev.Type != store.EventMO || ev.MO == nil {
		return nil, fmt.Errorf("webhook: RenderMO: event %s has type %q", ev.ID, ev.Type)
	}
	mo := ev.MO
	text, err := content.Decode(mo.MsgFmt, mo.Data)
	if err != nil {
		// Binary payload (content.ErrBinary): the bytes in hex.
		text = hex.EncodeToString(mo.Data)
	}
	received := mo.FirstAt
	if received.IsZero() {
		received = ev.CreatedAt
	}
	data := MOData{
		Channel: ev.Channel, Tenant: tenant, From: mo.Src, To: mo.Dest, Ext: ext,
		Content: text, MsgFmt: int(mo.MsgFmt), Segments: max(mo.Parts, 1), LinkID: mo.LinkID,
		ReceivedAt: Time{received},
	}
	v := MOEvent{ID: ev.ID, Type: TypeMO, CreatedAt: Time{ev.CreatedAt}, Data: data}
	return appendMOEvent(make([]byte, 0, bodySizeHint), &v), nil
}
