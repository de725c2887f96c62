package loadgen

import (
	"encoding/json"
	"testing"
)

// scanCases are bodies on which the scanner must agree with encoding/json
// (or step aside): the service's shapes, and the odd ones.
var scanCases = []string{
	`{"id":"e1","type":"sms.status","data":{"request_id":"r","to":"1380","status":"delivered"}}`,
	` [ {"id":"e1","type":"sms.status","data":{"to":"1"}} , {"id":"e2","type":"sms.mo","data":{}} ] `,
	`{"id":"e1","type":"sms.status","created_at":"2026-12-06T16:00:00.123Z","data":{"segments":[{"number":1,"submit_result":null,"ok":true,"x":-1.5e+3}]}}`,
	`{"ID":"e1","type":"sms.status"}`,
	`{"id":"e\u0031","type":"sms.status"}`,
	`{"id":"e1","id":"e2","data":{"to":"1"},"data":{"status":"x"}}`,
	`{"id":null,"type":"sms.status"}`,
	`{"id":1}`,
	`{"id":"e1","data":null}`,
	`{"id":"e1","data":[]}`,
	`{"id":"e1"} x`,
	`{"id":"e1",}`,
	`{"id":"e1" "type":"x"}`,
	`[]`,
	`[{"id":"e1"},]`,
	`{"id":"e1","n":01}`,
	`{"id":"e1","n":1.}`,
	`{"id":"e1","n":-}`,
	`{"id":"e1","n":tru}`,
	`{"ıd":"e1"}`,
	`{not json`,
	``,
	`"id"`,
}

func TestScanEventsAgreesWithEncodingJSON(t *testing.T) {
	for _, body := range scanCases {
		want, wantBatch, wantOK := decodeEvents([]byte(body), nil)
		got, batch, sure := scanEvents([]byte(body), nil)
		if !sure {
			continue // encoding/json decides
		}
		if !wantOK || batch != wantBatch || len(got) != len(want) {
			t.Errorf("%s: scanner sure of %d events (batch %v), encoding/json ok=%v %d events", body, len(got), batch, wantOK, len(want))
			continue
		}
		for i := range got {
			g, w := got[i], want[i]
			if string(g.id) != string(w.id) || string(g.typ) != string(w.typ) || string(g.requestID) != string(w.requestID) ||
				string(g.to) != string(w.to) || string(g.status) != string(w.status) {
				t.Errorf("%s: event %d scanner %q, encoding/json %q", body, i, g, w)
			}
		}
	}
	// The service's shape is the scanner's, not encoding/json's.
	if _, _, sure := scanEvents([]byte(scanCases[0]), nil); !sure {
		t.Error("the usual event was left to encoding/json")
	}
}

func TestScanAcceptedAgreesWithEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"id":"0193a0b0-0000-7000-8000-000000000001","status":"queued","channel":"bench","recipients":1,"segments_per_recipient":2,"total_segments":2,"client_ref":"bench-1"}`,
		`{"id":"x","total_segments":1.0}`, `{"id":"x","total_segments":"1"}`, `{"id":"x","recipients":"1"}`,
		`{"id":"x","total_segments":-3}`, `{"id":"x","total_segments":null}`, `{"Total_Segments":4}`,
		`{"id":"x","total_segments":12345678901234567890}`, `{"id":"x"}junk`, `{"id":"x","total_segments":00}`,
	} {
		var want acceptedBody
		err := json.Unmarshal([]byte(body), &want)
		got, sure := scanAccepted([]byte(body))
		if !sure {
			continue
		}
		if err != nil || string(got.id) != want.ID || got.totalSegments != int64(want.TotalSegments) ||
			got.segmentsPerRecipient != int64(want.SegmentsPerRecipient) {
			t.Errorf("%s: scanner sure of %+v, encoding/json %+v (%v)", body, got, want, err)
		}
	}
}

// FuzzScanEvents checks that the scanner never contradicts encoding/json.
func FuzzScanEvents(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantBatch, wantOK := decodeEvents(body, nil)
		got, batch, sure := scanEvents(body, nil)
		if !sure {
			return
		}
		if !wantOK || batch != wantBatch || len(got) != len(want) {
			t.Fatalf("%q: scanner sure of %d events, encoding/json ok=%v %d", body, len(got), wantOK, len(want))
		}
		for i := range got {
			if string(got[i].id) != string(want[i].id) || string(got[i].typ) != string(want[i].typ) ||
				string(got[i].requestID) != string(want[i].requestID) || string(got[i].to) != string(want[i].to) ||
				string(got[i].status) != string(want[i].status) {
				t.Fatalf("%q: event %d scanner %q, encoding/json %q", body, i, got[i], want[i])
			}
		}
	})
}
