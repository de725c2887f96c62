package metrics

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMethodLabel(t *testing.T) {
	for in, want := range map[string]string{
		"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH",
		"DELETE": "DELETE", "OPTIONS": "OPTIONS",
		"CONNECT": MethodOther, "TRACE": MethodOther, "get": MethodOther, "": MethodOther,
		strings.Repeat("X", 1<<20): MethodOther,
	} {
		if got := MethodLabel(in); got != want {
			t.Errorf("MethodLabel(%.10q) = %q, want %q", in, got, want)
		}
	}
}

func TestObserveHTTPBoundsLabels(t *testing.T) {
	m := New()
	for i := range 500 {
		m.ObserveHTTP("", "M"+strings.Repeat("x", i), 405, time.Millisecond)
	}
	m.ObserveHTTP("/sms", "POST", 202, time.Millisecond)
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		if mf.GetName() != "smsbridge_http_request_duration_seconds" {
			continue
		}
		for _, s := range mf.GetMetric() {
			var ls []string
			for _, l := range s.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			got = append(got, strings.Join(ls, ",")+" n="+strconv.FormatUint(s.GetHistogram().GetSampleCount(), 10))
		}
	}
	want := "code=202,method=POST,route=/sms n=1;code=405,method=other,route=unmatched n=500"
	if strings.Join(got, ";") != want {
		t.Fatalf("series %q, want %q", got, want)
	}
}
