package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// cmppMsgID is a 22-digit Msg_Id as smsbridge's CMPP server assigns them.
const cmppMsgID = "1206132415000000100042"

// The answer of a CMPP-submitted request says so: ingress cmpp, the
// account and the SUBMIT_RESP Msg_Id; a POST /sms request is ingress http
// without a cmpp object. Both match the spec's StatusResponse.
func TestStatusResponseIngress(t *testing.T) {
	s := loadSpec(t)
	now := time.Now()
	req := &store.Request{ID: "cmpp-" + cmppMsgID, Tenant: "acme", Channel: "cm1", CreatedAt: now, Status: store.RequestQueued,
		CMPP: &store.CMPPOrigin{Account: "910001", MsgID: cmppMsgID, SrcID: "10658000011", Report: true}}
	got := statusResponse(req)
	if got.Ingress != IngressCMPP || got.CMPP == nil || got.CMPP.Account != "910001" || got.CMPP.MsgID != cmppMsgID {
		t.Fatalf("cmpp request rendered %+v", got)
	}
	checkShape(t, s, "StatusResponse", s.Components.Schemas["StatusResponse"], asJSONValue(t, got))
	req.CMPP = nil
	got = statusResponse(req)
	if got.Ingress != IngressHTTP || got.CMPP != nil {
		t.Fatalf("http request rendered %+v", got)
	}
	if v := asJSONValue(t, got).(map[string]any); v["cmpp"] != nil || v["ingress"] != "http" {
		t.Fatalf("http request JSON %v", v)
	}
}

// Ids of both forms are accepted; anything else cannot exist.
func TestValidSMSID(t *testing.T) {
	for id, want := range map[string]bool{
		"0192f3a4-5b6c-7d8e-9f01-23456789abcd": true,
		"0192F3A4-5B6C-7D8E-9F01-23456789ABCD": false,
		"cmpp-" + cmppMsgID:                    true,
		"cmpp-" + cmppMsgID[:21]:               false,
		"cmpp-" + cmppMsgID + "0":              false,
		"CMPP-" + cmppMsgID:                    false,
		"cmpp-99" + cmppMsgID[2:]:              false, // month 99 does not fit its 4 bits
		"cmpp-12061324150000001000x2":          false,
		"cmpp-":                                false,
	} {
		if got := validSMSID(id); got != want {
			t.Errorf("validSMSID(%q) = %v, want %v", id, got, want)
		}
	}
}

// GET /sms/cmpp-<Msg_Id> reads a request stored under that id with the
// owner's key (the answer checked against the spec); another tenant's key
// and ids of a bad form get 404. The cmpp object is what the store
// returns for the request.
func TestGetSMSCMPPID(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := "cmpp-" + cmppMsgID
	origin := &store.CMPPOrigin{Account: "910001", MsgID: cmppMsgID, SrcID: "10658000011", ServiceID: "TEST", Report: true}
	if err := h.store.CreateRequest(ctx, store.NewRequest{ID: id, Tenant: "acme", Channel: "cm1", MsgFmt: 8,
		Recipients: []string{"13800138000", "13900139000"}, Segments: []store.Segment{{Content: []byte{0, 'h', 0, 'i'}}},
		CMPP: origin, PkTotal: 1, PkNumber: 1}); err != nil {
		t.Fatal(err)
	}
	stored, err := h.store.GetRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r := h.do(t, http.MethodGet, "/sms/"+id, acmeKey, nil)
	var st StatusResponse
	r.json(t, &st)
	if r.status != http.StatusOK || st.ID != id || st.Channel != "cm1" || len(st.Recipients) != 2 || st.Counts.Pending != 2 {
		t.Fatalf("GET %s: %d %s", id, r.status, r.body)
	}
	// The store fills Request.CMPP (store/request.go); the answer shows
	// exactly what it holds.
	switch {
	case stored.CMPP != nil && (st.Ingress != IngressCMPP || st.CMPP == nil || *st.CMPP != SMSCMPP{Account: stored.CMPP.Account, MsgID: stored.CMPP.MsgID}):
		t.Fatalf("stored origin %+v answered as %s", stored.CMPP, r.body)
	case stored.CMPP == nil && (st.Ingress != IngressHTTP || st.CMPP != nil):
		t.Fatalf("no stored origin answered as %s", r.body)
	}
	if stored.CMPP != nil && (stored.CMPP.Account != origin.Account || stored.CMPP.MsgID != origin.MsgID) {
		t.Fatalf("stored origin %+v, created %+v", stored.CMPP, origin)
	}
	expectErr(t, h.do(t, http.MethodGet, "/sms/"+id, betaKey, nil), 404, CodeNotFound)
	for _, bad := range []string{"cmpp-" + cmppMsgID[:21], "cmpp-abc", "CMPP-" + cmppMsgID} {
		expectErr(t, h.do(t, http.MethodGet, "/sms/"+bad, acmeKey, nil), 404, CodeNotFound)
	}
	// An id of the right form that was never stored.
	expectErr(t, h.do(t, http.MethodGet, "/sms/cmpp-1206132415000000100043", acmeKey, nil), 404, CodeNotFound)

	// DELETE takes the same ids: another tenant's key gets 404, the
	// owner's cancels what is still queued (answer checked against the
	// spec).
	expectErr(t, h.do(t, http.MethodDelete, "/sms/"+id, betaKey, nil), 404, CodeNotFound)
	r = h.do(t, http.MethodDelete, "/sms/"+id, acmeKey, nil)
	var cr CancelResponse
	r.json(t, &cr)
	if r.status != http.StatusOK || cr.ID != id || cr.CancelledQueued != 2 || cr.Status != "cancelled" {
		t.Fatalf("DELETE %s: %d %s", id, r.status, r.body)
	}
}
