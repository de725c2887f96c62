package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/smsbridge/smsbridge/store"
)

// msgID returns a 22-digit Msg_Id text for sequence n.
func msgID(n int) string { return fmt.Sprintf("11221010120001001%05d", n) }

// leaseAll leases every pending job of channel, keyed by recipient and
// segment ("r:s").
func leaseAll(t *testing.T, h *harness, channel string) map[[2]int]store.Job {
	t.Helper()
	jobs, err := h.store.Lease(context.Background(), channel, "test-sender", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]int]store.Job{}
	for _, j := range jobs {
		out[[2]int{j.Recipient, j.Segment}] = j
	}
	return out
}

func TestGetSMSOwnOtherAndDetail(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	acc := h.mustAccept(t, acmeKey, map[string]any{
		"to": []string{"13800138000", "13900139000"}, "content": chinese(100), "client_ref": "c-1"})

	// Fresh: queued, every segment queued without ids.
	r := h.do(t, http.MethodGet, "/sms/"+acc.ID, acmeKey, nil)
	var st StatusResponse
	r.json(t, &st)
	if r.status != 200 || st.Status != "queued" || st.ID != acc.ID || st.ClientRef != "c-1" || st.Channel != "cm1" ||
		st.CreatedAt.IsZero() || len(st.Recipients) != 2 || len(st.Recipients[0].Segments) != 2 ||
		st.Recipients[0].Segments[1].Number != 2 || st.Recipients[0].Segments[0].MsgID != "" ||
		st.Recipients[0].Segments[0].SubmitResult != nil || st.Recipients[0].Segments[0].Status != "queued" {
		t.Fatalf("fresh status %d %s", r.status, r.body)
	}

	// Drive the request through the store as the sender and the report
	// path would: recipient 1 delivered; recipient 2 refused (Result 13)
	// on segment 1 and undelivered on segment 2.
	jobs := leaseAll(t, h, "cm1")
	if len(jobs) != 4 {
		t.Fatalf("leased %d jobs", len(jobs))
	}
	if _, err := h.store.Submitted(ctx, "cm1", []store.SubmitOutcome{
		{Job: jobs[[2]int{1, 1}].ID, MsgID: msgID(1)},
		{Job: jobs[[2]int{1, 2}].ID, MsgID: msgID(2)},
		{Job: jobs[[2]int{2, 1}].ID, Result: 13},
		{Job: jobs[[2]int{2, 2}].ID, MsgID: msgID(4)},
	}); err != nil {
		t.Fatal(err)
	}
	r = h.do(t, http.MethodGet, "/sms/"+acc.ID, acmeKey, nil)
	r.json(t, &st)
	if st.Status != "submitted" {
		t.Fatalf("after submit: %s", r.body)
	}
	if _, err := h.store.Reports(ctx, "cm1", []store.ReportIn{
		{MsgID: msgID(1), Stat: "DELIVRD"}, {MsgID: msgID(2), Stat: "DELIVRD"}, {MsgID: msgID(4), Stat: "UNDELIV"},
	}); err != nil {
		t.Fatal(err)
	}
	r = h.do(t, http.MethodGet, "/sms/"+acc.ID, acmeKey, nil)
	st = StatusResponse{}
	r.json(t, &st)
	if st.Status != "partially_delivered" || st.FinishedAt == nil || st.Counts.Delivered != 1 || st.Counts.Failed != 1 {
		t.Fatalf("final: %s", r.body)
	}
	r1, r2 := st.Recipients[0], st.Recipients[1]
	if r1.To != "13800138000" || r1.Status != "delivered" || r1.ErrorCode != "" {
		t.Fatalf("recipient 1: %+v", r1)
	}
	s11 := r1.Segments[0]
	if s11.MsgID != msgID(1) || s11.SubmitResult == nil || *s11.SubmitResult != 0 || s11.Stat != "DELIVRD" ||
		s11.SubmittedAt == nil || s11.ReportedAt == nil || s11.Attempts != 1 || s11.Status != "delivered" {
		t.Fatalf("segment 1/1: %+v", s11)
	}
	if r2.Status != "failed" || r2.ErrorCode != "submit_result_13" {
		t.Fatalf("recipient 2: %+v", r2)
	}
	if s := r2.Segments[0]; s.SubmitResult == nil || *s.SubmitResult != 13 || s.MsgID != "" || s.ErrorCode != "submit_result_13" {
		t.Fatalf("segment 2/1: %+v", s)
	}
	if s := r2.Segments[1]; s.Stat != "UNDELIV" || s.Status != "failed" {
		t.Fatalf("segment 2/2: %+v", s)
	}

	// Another tenant's id looks exactly like a missing one.
	other := h.do(t, http.MethodGet, "/sms/"+acc.ID, betaKey, nil)
	missing := h.do(t, http.MethodGet, "/sms/01234567-89ab-7def-8123-456789abcdef", betaKey, nil)
	if other.status != 404 || other.errBody(t).Code != CodeNotFound || string(other.body) != string(missing.body) {
		t.Fatalf("other tenant: %d %s vs missing %s", other.status, other.body, missing.body)
	}
	for _, bad := range []string{"not-an-id", "01234567-89AB-7DEF-8123-456789ABCDEF", "%7Bsb%7D"} {
		if r := h.do(t, http.MethodGet, "/sms/"+bad, acmeKey, nil); r.status != 404 || r.errBody(t).Code != CodeNotFound {
			t.Fatalf("GET %s: %d %s", bad, r.status, r.body)
		}
	}
	if r := h.do(t, http.MethodGet, "/sms/"+acc.ID, "", nil); r.status != 401 {
		t.Fatalf("no key: %d", r.status)
	}
}

func TestCancelQueued(t *testing.T) {
	h := newHarness(t)
	acc := h.mustAccept(t, acmeKey, map[string]any{"to": []string{"13800138000", "13900139000"}, "content": chinese(100)})

	// Other tenants cannot cancel (and learn nothing).
	if r := h.do(t, http.MethodDelete, "/sms/"+acc.ID, betaKey, nil); r.status != 404 || r.errBody(t).Code != CodeNotFound {
		t.Fatalf("other tenant: %d %s", r.status, r.body)
	}
	r := h.do(t, http.MethodDelete, "/sms/"+acc.ID, acmeKey, nil)
	var out CancelResponse
	r.json(t, &out)
	if r.status != 200 || out.ID != acc.ID || out.Status != "cancelled" || out.CancelledQueued != 4 ||
		out.InFlight != 0 || out.CancelResults == nil || len(out.CancelResults) != 0 {
		t.Fatalf("cancel %d %s", r.status, r.body)
	}
	// The sender gets nothing from a cancelled request.
	if jobs := leaseAll(t, h, "cm1"); len(jobs) != 0 {
		t.Fatalf("leased %d jobs of a cancelled request", len(jobs))
	}
	if len(h.canceller.recorded()) != 0 {
		t.Fatal("CMPP_CANCEL sent for queued jobs")
	}
	var st StatusResponse
	h.do(t, http.MethodGet, "/sms/"+acc.ID, acmeKey, nil).json(t, &st)
	if st.Status != "cancelled" || st.CancelledAt == nil || st.Recipients[1].Segments[1].Status != "cancelled" {
		t.Fatalf("status after cancel: %+v", st)
	}
	// Final now: a second DELETE is 409.
	r = h.do(t, http.MethodDelete, "/sms/"+acc.ID, acmeKey, nil)
	if r.status != http.StatusConflict || r.errBody(t).Code != CodeAlreadyFinal {
		t.Fatalf("second cancel %d %s", r.status, r.body)
	}
}

func TestCancelSubmittedSendsCMPPCancel(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	acc := h.mustAccept(t, acmeKey, map[string]any{"to": []string{"13800138000", "13900139000", "13700137000"}, "content": "hi"})
	jobs := leaseAll(t, h, "cm1")
	// Recipient 1 and 2 submitted; recipient 3 still leased (in flight).
	if _, err := h.store.Submitted(ctx, "cm1", []store.SubmitOutcome{
		{Job: jobs[[2]int{1, 1}].ID, MsgID: msgID(11)},
		{Job: jobs[[2]int{2, 1}].ID, MsgID: msgID(12)},
	}); err != nil {
		t.Fatal(err)
	}
	h.canceller.answer(CancelOutcome{MsgID: msgID(11), Success: true}, CancelOutcome{MsgID: msgID(12), Success: false})

	r := h.do(t, http.MethodDelete, "/sms/"+acc.ID, acmeKey, nil)
	var out CancelResponse
	r.json(t, &out)
	if r.status != 200 || out.CancelledQueued != 0 || out.InFlight != 1 || len(out.CancelResults) != 2 {
		t.Fatalf("cancel %d %s", r.status, r.body)
	}
	byID := map[string]CancelResultItem{}
	for _, it := range out.CancelResults {
		byID[it.MsgID] = it
	}
	if it := byID[msgID(11)]; !it.Success || it.Error != "" || it.Recipient != "13800138000" || it.Segment != 1 {
		t.Fatalf("cancelled item %+v", it)
	}
	if it := byID[msgID(12)]; it.Success || it.Error != "refused" || it.Recipient != "13900139000" {
		t.Fatalf("refused item %+v", it)
	}
	if calls := h.canceller.recorded(); len(calls) != 1 || calls[0].channel != "cm1" || len(calls[0].msgIDs) != 2 {
		t.Fatalf("canceller calls %+v", calls)
	}
	// Recorded: recipient 1 cancelled; recipient 2 still waits for its
	// report with cancel_failed noted.
	req, err := h.store.GetRequest(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if req.Recipients[0].Status != store.RecipientCancelled || req.Recipients[1].Segments[0].State != store.JobSubmitted ||
		req.Recipients[1].Segments[0].ErrorCode != "cancel_failed" {
		t.Fatalf("stored %+v", req.Recipients)
	}
	if out.Status != string(req.Status) {
		t.Fatalf("answered status %s, stored %s", out.Status, req.Status)
	}

	// The link pool cannot cancel at all: every item says why.
	h.canceller.fail(errors.New("no ready link"))
	if _, err := h.store.Submitted(ctx, "cm1", []store.SubmitOutcome{{Job: jobs[[2]int{3, 1}].ID, MsgID: msgID(13)}}); err != nil {
		t.Fatal(err)
	}
	r = h.do(t, http.MethodDelete, "/sms/"+acc.ID, acmeKey, nil)
	out = CancelResponse{}
	r.json(t, &out)
	if r.status != 200 || len(out.CancelResults) != 2 {
		t.Fatalf("second cancel %d %s", r.status, r.body)
	}
	for _, it := range out.CancelResults {
		if it.Success || it.Error != "no ready link" {
			t.Fatalf("item %+v", it)
		}
	}
}
