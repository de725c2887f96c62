package ismgsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// adminCall performs one request and decodes the JSON answer into out
// (when not nil); it returns the status code.
func adminCall(t *testing.T, base, method, path, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 400 {
		var e APIError
		if json.Unmarshal(data, &e) != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%s %s: error body %s is not {code,message}", method, path, data)
		}
	}
	return resp.StatusCode
}

func TestAdminAccounts(t *testing.T) {
	s := newTestServer(t, Config{})
	hs := httptest.NewServer(s.AdminHandler())
	defer hs.Close()

	var list []AccountDoc
	if code := adminCall(t, hs.URL, "GET", "/accounts", "", &list); code != 200 || len(list) != 1 {
		t.Fatalf("GET /accounts: %d %+v", code, list)
	}
	if list[0].Secret == testSecret || list[0].Secret != secretMask {
		t.Fatalf("secret not masked: %+v", list[0])
	}
	var created AccountDoc
	code := adminCall(t, hs.URL, "POST", "/accounts",
		`{"sp_id":"900002","secret":"pw","version":"2.0","max_links":2,"max_submits_per_sec":5,"src_id_prefix":"1069"}`, &created)
	if code != 201 || created.Secret != secretMask || created.Version != "2.0" || created.MaxLinks != 2 {
		t.Fatalf("POST /accounts: %d %+v", code, created)
	}
	if code := adminCall(t, hs.URL, "POST", "/accounts", `{"sp_id":"900002","secret":"x"}`, nil); code != 409 {
		t.Fatalf("duplicate POST: %d", code)
	}
	for _, bad := range []string{`{"sp_id":""}`, `{"sp_id":"1","version":"9.9"}`, `{"sp_id":"1","bogus":1}`, `not json`} {
		if code := adminCall(t, hs.URL, "POST", "/accounts", bad, nil); code != 400 {
			t.Fatalf("POST %s: %d, want 400", bad, code)
		}
	}
	// PUT with the masked secret keeps the secret.
	var updated AccountDoc
	code = adminCall(t, hs.URL, "PUT", "/accounts/900002", `{"secret":"******","version":"3.0","max_submits_per_sec":9}`, &updated)
	if code != 200 || updated.Version != "3.0" || updated.MaxSubmitsPerSec != 9 {
		t.Fatalf("PUT: %d %+v", code, updated)
	}
	for _, a := range s.Accounts() {
		if a.SPID == "900002" && (a.Secret != "pw" || a.Version != cmpp.V30 || a.MaxSubmitsPerSec != 9) {
			t.Fatalf("account after PUT: %+v", a)
		}
	}
	if code := adminCall(t, hs.URL, "PUT", "/accounts/123456", `{"secret":"x"}`, nil); code != 404 {
		t.Fatalf("PUT unknown: %d", code)
	}
	if code := adminCall(t, hs.URL, "PUT", "/accounts/900002", `{"sp_id":"900003"}`, nil); code != 400 {
		t.Fatalf("PUT with another sp_id: %d", code)
	}
	c := dialRaw(t, s.Addr(), cmpp.V30)
	if resp, _ := c.connect("900002", "pw", cmpp.V30, cmpp.Timestamp(time.Now())); resp.Status != 0 {
		t.Fatalf("login: %d", resp.Status)
	}
	adminCall(t, hs.URL, "GET", "/accounts", "", &list)
	if len(list) != 2 || list[1].SPID != "900002" || list[1].Links != 1 {
		t.Fatalf("GET /accounts: %+v", list)
	}
	if code := adminCall(t, hs.URL, "DELETE", "/accounts/900002", "", nil); code != 204 {
		t.Fatalf("DELETE: %d", code)
	}
	c.expectClosed()
	if code := adminCall(t, hs.URL, "DELETE", "/accounts/900002", "", nil); code != 404 {
		t.Fatalf("second DELETE: %d", code)
	}
}

func TestAdminMOFaultsReceivedCountsReset(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Hour})
	hs := httptest.NewServer(s.AdminHandler())
	defer hs.Close()

	mo := `{"sp_id":"900001","from":"13800138000","to":"1065800001","text":"你好"}`
	if code := adminCall(t, hs.URL, "POST", "/mo", mo, nil); code != 409 {
		t.Fatalf("MO without link: %d, want 409", code)
	}
	if code := adminCall(t, hs.URL, "POST", "/mo", strings.Replace(mo, "900001", "999999", 1), nil); code != 404 {
		t.Fatalf("MO to unknown account: %d", code)
	}
	c := loginRaw(t, s, cmpp.V30)
	if code := adminCall(t, hs.URL, "POST", "/mo", mo, nil); code != 202 {
		t.Fatalf("POST /mo: %d", code)
	}
	ds, _ := c.recvDelivers(1, true)
	if ds[0].MsgFmt != 8 || !bytes.Equal(ds[0].MsgContent, []byte{0x4f, 0x60, 0x59, 0x7d}) {
		t.Fatalf("MO %+v", ds[0])
	}

	var f FaultsDoc
	code := adminCall(t, hs.URL, "PUT", "/faults",
		`{"drop_response_ratio":0.5,"response_delay":"20ms","force_result":0,"close_links_every":"","report_before_resp":true,"stat_override":{"13800138000":"UNDELIV"}}`, &f)
	if code != 200 || f.ResponseDelay != "20ms" || f.DropResponseRatio != 0.5 || !f.ReportBeforeResp {
		t.Fatalf("PUT /faults: %d %+v", code, f)
	}
	if got := s.Faults(); got.ResponseDelay != 20*time.Millisecond || got.StatOverride["13800138000"] != "UNDELIV" {
		t.Fatalf("faults %+v", got)
	}
	for _, bad := range []string{`{"drop_response_ratio":2}`, `{"response_delay":"soon"}`, `{"close_links_every":"-1s"}`,
		`{"stat_override":{"1":"TOOLONGSTAT"}}`} {
		if code := adminCall(t, hs.URL, "PUT", "/faults", bad, nil); code != 400 {
			t.Fatalf("PUT /faults %s: %d", bad, code)
		}
	}
	if code := adminCall(t, hs.URL, "PUT", "/faults", `{}`, &f); code != 200 || f.ResponseDelay != "" {
		t.Fatalf("clear faults: %d %+v", code, f)
	}
	adminCall(t, hs.URL, "GET", "/faults", "", &f)
	if f.DropResponseRatio != 0 || f.ReportBeforeResp {
		t.Fatalf("GET /faults %+v", f)
	}

	sub := testSubmit()
	sub.MsgFmt, sub.MsgContent = 8, []byte{0x4f, 0x60}
	resp, _ := c.submit(sub)
	c.submit(testSubmit("13900139000"))
	var recs []ReceivedDoc
	if code := adminCall(t, hs.URL, "GET", "/received?sp_id=900001", "", &recs); code != 200 || len(recs) != 2 {
		t.Fatalf("GET /received: %d %+v", code, recs)
	}
	if recs[0].MsgID != resp.MsgID.String() || recs[0].Text != "你" || recs[0].Content != "4f60" || recs[0].Dest != "13800138000" {
		t.Fatalf("received[0] %+v", recs[0])
	}
	adminCall(t, hs.URL, "GET", "/received?limit=1", "", &recs)
	if len(recs) != 1 || recs[0].Dest != "13900139000" {
		t.Fatalf("limit=1: %+v", recs)
	}
	if code := adminCall(t, hs.URL, "GET", "/received?limit=x", "", nil); code != 400 {
		t.Fatalf("bad limit: %d", code)
	}
	adminCall(t, hs.URL, "GET", "/received?sp_id=999999", "", &recs)
	if len(recs) != 0 {
		t.Fatalf("other SP: %+v", recs)
	}
	var counts map[string]AccountCounts
	adminCall(t, hs.URL, "GET", "/counts", "", &counts)
	if got := counts[testSPID]; got.Submits != 2 || got.MOSent != 1 || got.Links != 1 {
		t.Fatalf("GET /counts %+v", got)
	}
	if code := adminCall(t, hs.URL, "POST", "/reset", "", nil); code != 204 {
		t.Fatalf("POST /reset: %d", code)
	}
	adminCall(t, hs.URL, "GET", "/counts", "", &counts)
	adminCall(t, hs.URL, "GET", "/received", "", &recs)
	if counts[testSPID].Submits != 0 || len(recs) != 0 {
		t.Fatalf("after reset: %+v %d records", counts[testSPID], len(recs))
	}
	if code := adminCall(t, hs.URL, "GET", "/nope", "", nil); code != 404 {
		t.Fatalf("unknown path: %d", code)
	}
	if code := adminCall(t, hs.URL, "DELETE", "/faults", "", nil); code != 405 {
		t.Fatalf("wrong method: %d", code)
	}
}
