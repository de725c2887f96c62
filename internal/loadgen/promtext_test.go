package loadgen

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// page is an excerpt of what the service's promhttp handler writes.
const page = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.34
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 5.2305920e+07
# TYPE smsbridge_submits_total counter
smsbridge_submits_total{channel="default",result="0"} 1000
smsbridge_submits_total{channel="default",result="8"} 7
smsbridge_submits_total{channel="backup",result="0"} 24
smsbridge_submits_total{channel="backup",result="timeout"} 1
smsbridge_reports_total{channel="default",outcome="matched",stat="DELIVRD"} 990
smsbridge_reports_total{channel="default",outcome="duplicate",stat="DELIVRD"} 3
smsbridge_webhooks_total{outcome="delivered",type="sms.status"} 980
smsbridge_webhooks_total{outcome="retry",type="sms.status"} 2
smsbridge_accepted_segments_total{channel="default"} 1100
smsbridge_queue_depth{channel="default",state="pending"} 42
smsbridge_queue_depth{channel="default",state="awaiting_report"} 10
smsbridge_queue_depth{channel="default",state="leased"} 3
smsbridge_queue_depth{channel="default",state="events_ready"} 5
go_gc_duration_seconds{quantile="0.5"} 3.1e-05
go_gc_duration_seconds_sum 0.001 1700000000000
smsbridge_http_request_duration_seconds_bucket{code="202",method="POST",route="/sms",le="+Inf"} 1100
weird_label{path="a\\b\"c\nd", x = "y" } +Inf
`

func TestParsePrometheusText(t *testing.T) {
	ss, err := ParsePrometheusText(strings.NewReader(page), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 19 {
		t.Fatalf("%d samples, want 19", len(ss))
	}
	if v, ok := ss.Sum("smsbridge_submits_total", map[string]string{"result": "0"}); !ok || v != 1024 {
		t.Errorf("submits result=0: %v %v, want 1024", v, ok)
	}
	if v, _ := ss.Sum("smsbridge_submits_total", map[string]string{"result": "0", "channel": "backup"}); v != 24 {
		t.Errorf("backup submits = %v", v)
	}
	if _, ok := ss.Sum("nope", nil); ok {
		t.Error("missing series reported as found")
	}
	last := ss[len(ss)-1]
	if last.Labels["path"] != "a\\b\"c\nd" || last.Labels["x"] != "y" || !math.IsInf(last.Value, 1) {
		t.Errorf("escaped labels: %+v", last)
	}
	if v, _ := ss.Sum("smsbridge_http_request_duration_seconds_bucket", map[string]string{"le": "+Inf"}); v != 1100 {
		t.Errorf("bucket = %v", v)
	}
}

func TestServiceCountersOf(t *testing.T) {
	ss, err := ParsePrometheusText(strings.NewReader(page), keepServiceSeries)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ServiceCountersOf(ss)
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceCounters{
		SubmitsOK: 1024, SubmitsOther: 8, Reports: 993, ReportsMatched: 990,
		WebhooksDelivered: 980, WebhooksOther: 2, AcceptedSegments: 1100,
		CPUSeconds: 12.34, RSSBytes: 52305920, QueuePending: 42, QueueLeased: 3, QueueAwaiting: 10, EventsReady: 5,
		WebhookOutcomes: map[string]float64{"delivered": 980, "retry": 2},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	if _, err := ServiceCountersOf(ss[2:]); err == nil {
		t.Error("counters without process_cpu_seconds_total: no error")
	}
}

func TestParsePrometheusTextErrors(t *testing.T) {
	for _, bad := range []string{
		`x{a="b"`,
		`x{a=b} 1`,
		`x{a="b} 1`,
		`x{a="b"c="d"} 1`,
		`x{a="\q"} 1`,
		`x`,
		`x 1 2 3`,
		`x one`,
		`x 1 notatime`,
		`{a="b"} 1`,
	} {
		if _, err := ParsePrometheusText(strings.NewReader(bad), nil); !errors.Is(err, errPromSyntax) {
			t.Errorf("%q: err = %v, want a syntax error", bad, err)
		}
	}
	// keep selects what is returned; the whole page is still checked.
	if _, err := ParsePrometheusText(strings.NewReader("other_series{{{ garbage\nx 1\n"), func(n string) bool { return n == "x" }); !errors.Is(err, errPromSyntax) {
		t.Errorf("garbage on a filtered line: err = %v, want a syntax error", err)
	}
	ss, err := ParsePrometheusText(strings.NewReader("other_series 2\nx 1\n"), func(n string) bool { return n == "x" })
	if err != nil || len(ss) != 1 || ss[0].Name != "x" || ss[0].Value != 1 {
		t.Errorf("filtered page: %+v, %v; want only x 1", ss, err)
	}
}

// Typed summaries and histograms come back as the samples of their text
// form (the reference parser folds them into one family each).
func TestParsePrometheusTextSummaryAndHistogram(t *testing.T) {
	const typed = `# TYPE rpc_seconds summary
rpc_seconds{op="a",quantile="0.5"} 0.25
rpc_seconds_sum{op="a"} 10
rpc_seconds_count{op="a"} 40
# TYPE req_seconds histogram
req_seconds_bucket{le="0.1"} 3
req_seconds_bucket{le="+Inf"} 5
req_seconds_sum 1.5
req_seconds_count 5
`
	ss, err := ParsePrometheusText(strings.NewReader(typed), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		match map[string]string
		want  float64
	}{
		{"rpc_seconds", map[string]string{"op": "a", "quantile": "0.5"}, 0.25},
		{"rpc_seconds_sum", map[string]string{"op": "a"}, 10},
		{"rpc_seconds_count", map[string]string{"op": "a"}, 40},
		{"req_seconds_bucket", map[string]string{"le": "0.1"}, 3},
		{"req_seconds_bucket", map[string]string{"le": "+Inf"}, 5},
		{"req_seconds_sum", nil, 1.5},
		{"req_seconds_count", nil, 5},
	} {
		if v, ok := ss.Sum(tc.name, tc.match); !ok || v != tc.want {
			t.Errorf("%s%v = %v (found %v), want %v", tc.name, tc.match, v, ok, tc.want)
		}
	}
	if len(ss) != 7 {
		t.Errorf("%d samples, want 7: %+v", len(ss), ss)
	}
}

func FuzzParsePrometheusText(f *testing.F) {
	f.Add(page)
	f.Add(`x{a="b\"",} 1e3 5`)
	f.Fuzz(func(t *testing.T, s string) {
		ss, err := ParsePrometheusText(strings.NewReader(s), nil)
		if err == nil {
			_, _ = ServiceCountersOf(ss)
		}
	})
}
