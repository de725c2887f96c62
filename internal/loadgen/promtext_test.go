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
	// Lines filtered out by keep are not parsed beyond their name.
	if _, err := ParsePrometheusText(strings.NewReader("other_series{{{ garbage\nx 1\n"), func(n string) bool { return n == "x" }); err != nil {
		t.Errorf("filtered line: %v", err)
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
