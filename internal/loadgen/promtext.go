package loadgen

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Series names read from the service's /metrics.
const (
	seriesSubmits  = "smsbridge_submits_total"
	seriesReports  = "smsbridge_reports_total"
	seriesWebhooks = "smsbridge_webhooks_total"
	seriesAccepted = "smsbridge_accepted_segments_total"
	seriesCPU      = "process_cpu_seconds_total"
	seriesRSS      = "process_resident_memory_bytes"
	seriesQueue    = "smsbridge_queue_depth"
)

// Sample is one sample of the Prometheus text exposition format.
type Sample struct {
	// Name is the metric name (with the _sum, _count or _bucket suffix for
	// the parts of a summary or histogram).
	Name string
	// Labels are the label pairs (nil without labels).
	Labels map[string]string
	// Value is the sample value.
	Value float64
}

// Samples is a parsed /metrics page.
type Samples []Sample

// errPromSyntax is wrapped by every ParsePrometheusText syntax error.
var errPromSyntax = errors.New("prometheus text: syntax error")

// ParsePrometheusText reads the Prometheus text exposition format (version
// 0.0.4) with the reference parser (expfmt.TextParser, UTF-8 names) and
// flattens its metric families into samples, sorted by name. When keep is
// not nil, only samples whose name it accepts are returned; the whole page
// is still checked for syntax.
func ParsePrometheusText(r io.Reader, keep func(name string) bool) (Samples, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		var pe expfmt.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: line %d: %s", errPromSyntax, pe.Line, pe.Msg)
		}
		return nil, fmt.Errorf("prometheus text: %w", err)
	}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	var out Samples
	for _, name := range names {
		for _, s := range flatten(families[name]) {
			if keep == nil || keep(s.Name) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// flatten turns one metric family back into the samples of its text form:
// a summary becomes its quantiles plus _sum and _count, a histogram its
// buckets plus _sum and _count.
func flatten(mf *dto.MetricFamily) Samples {
	name := mf.GetName()
	var out Samples
	add := func(n string, labels map[string]string, v float64) {
		out = append(out, Sample{Name: n, Labels: labels, Value: v})
	}
	for _, m := range mf.GetMetric() {
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			add(name, labelsOf(m, "", ""), m.GetCounter().GetValue())
		case dto.MetricType_GAUGE:
			add(name, labelsOf(m, "", ""), m.GetGauge().GetValue())
		case dto.MetricType_SUMMARY:
			sm := m.GetSummary()
			for _, q := range sm.GetQuantile() {
				add(name, labelsOf(m, model.QuantileLabel, formatFloat(q.GetQuantile())), q.GetValue())
			}
			add(name+"_sum", labelsOf(m, "", ""), sm.GetSampleSum())
			add(name+"_count", labelsOf(m, "", ""), float64(sm.GetSampleCount()))
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			h := m.GetHistogram()
			for _, b := range h.GetBucket() {
				add(name+"_bucket", labelsOf(m, model.BucketLabel, formatFloat(b.GetUpperBound())), float64(b.GetCumulativeCount()))
			}
			add(name+"_sum", labelsOf(m, "", ""), h.GetSampleSum())
			add(name+"_count", labelsOf(m, "", ""), float64(h.GetSampleCount()))
		default: // untyped
			add(name, labelsOf(m, "", ""), m.GetUntyped().GetValue())
		}
	}
	return out
}

// labelsOf returns the label pairs of m plus extra=value when extra is
// set; nil when there are none.
func labelsOf(m *dto.Metric, extra, value string) map[string]string {
	if len(m.GetLabel()) == 0 && extra == "" {
		return nil
	}
	labels := make(map[string]string, len(m.GetLabel())+1)
	for _, lp := range m.GetLabel() {
		labels[lp.GetName()] = lp.GetValue()
	}
	if extra != "" {
		labels[extra] = value
	}
	return labels
}

// formatFloat writes a quantile or bucket bound as the text format does
// (+Inf for the last bucket).
func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Sum adds the values of every sample named name whose labels include
// every pair of match; found is false when no sample matched.
func (ss Samples) Sum(name string, match map[string]string) (sum float64, found bool) {
	for _, s := range ss {
		if s.Name != name || !hasLabels(s.Labels, match) {
			continue
		}
		sum += s.Value
		found = true
	}
	return sum, found
}

func hasLabels(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// ServiceCounters are the values the report reads from one scrape.
type ServiceCounters struct {
	// SubmitsOK is smsbridge_submits_total{result="0"} over channels.
	SubmitsOK float64 `json:"submits_ok"`
	// SubmitsOther is smsbridge_submits_total with any other result.
	SubmitsOther float64 `json:"submits_other"`
	// Reports is smsbridge_reports_total (every stat and outcome).
	Reports float64 `json:"reports"`
	// ReportsMatched is smsbridge_reports_total{outcome="matched"}.
	ReportsMatched float64 `json:"reports_matched"`
	// WebhooksDelivered is smsbridge_webhooks_total{outcome="delivered"}.
	WebhooksDelivered float64 `json:"webhooks_delivered"`
	// WebhooksOther is smsbridge_webhooks_total with any other outcome
	// (retry, dead, deferred, no_callback).
	WebhooksOther float64 `json:"webhooks_other"`
	// WebhookOutcomes is smsbridge_webhooks_total by outcome label
	// (delivered, retry, dead, deferred, no_callback).
	WebhookOutcomes map[string]float64 `json:"webhook_outcomes,omitempty"`
	// AcceptedSegments is smsbridge_accepted_segments_total.
	AcceptedSegments float64 `json:"accepted_segments"`
	// CPUSeconds is process_cpu_seconds_total.
	CPUSeconds float64 `json:"cpu_seconds"`
	// RSSBytes is process_resident_memory_bytes.
	RSSBytes float64 `json:"rss_bytes"`
	// QueuePending is smsbridge_queue_depth{state="pending"} (segments
	// waiting to be sent) when the service exports it.
	QueuePending float64 `json:"queue_pending"`
	// QueueLeased is smsbridge_queue_depth{state="leased"} (taken by a
	// sender, not answered yet).
	QueueLeased float64 `json:"queue_leased"`
	// QueueAwaiting is smsbridge_queue_depth{state="awaiting_report"}.
	QueueAwaiting float64 `json:"queue_awaiting_report"`
	// EventsReady is smsbridge_queue_depth{state="events_ready"}.
	EventsReady float64 `json:"events_ready"`
}

// keepServiceSeries selects the series ServiceCountersOf reads.
func keepServiceSeries(name string) bool {
	switch name {
	case seriesSubmits, seriesReports, seriesWebhooks, seriesAccepted, seriesCPU, seriesRSS, seriesQueue:
		return true
	}
	return false
}

// ServiceCountersOf extracts the counters the report needs. The process
// series must be present (the service exports them on Linux).
func ServiceCountersOf(ss Samples) (ServiceCounters, error) {
	var c ServiceCounters
	var ok bool
	c.SubmitsOK, _ = ss.Sum(seriesSubmits, map[string]string{"result": "0"})
	all, _ := ss.Sum(seriesSubmits, nil)
	c.SubmitsOther = all - c.SubmitsOK
	c.Reports, _ = ss.Sum(seriesReports, nil)
	c.ReportsMatched, _ = ss.Sum(seriesReports, map[string]string{"outcome": "matched"})
	c.WebhooksDelivered, _ = ss.Sum(seriesWebhooks, map[string]string{"outcome": "delivered"})
	allWH, _ := ss.Sum(seriesWebhooks, nil)
	c.WebhooksOther = allWH - c.WebhooksDelivered
	for _, smp := range ss {
		if smp.Name == seriesWebhooks {
			if c.WebhookOutcomes == nil {
				c.WebhookOutcomes = map[string]float64{}
			}
			c.WebhookOutcomes[smp.Labels["outcome"]] += smp.Value
		}
	}
	c.AcceptedSegments, _ = ss.Sum(seriesAccepted, nil)
	c.QueuePending, _ = ss.Sum(seriesQueue, map[string]string{"state": "pending"})
	c.QueueLeased, _ = ss.Sum(seriesQueue, map[string]string{"state": "leased"})
	c.QueueAwaiting, _ = ss.Sum(seriesQueue, map[string]string{"state": "awaiting_report"})
	c.EventsReady, _ = ss.Sum(seriesQueue, map[string]string{"state": "events_ready"})
	if c.CPUSeconds, ok = ss.Sum(seriesCPU, nil); !ok {
		return c, fmt.Errorf("metrics: no %s series", seriesCPU)
	}
	if c.RSSBytes, ok = ss.Sum(seriesRSS, nil); !ok {
		return c, fmt.Errorf("metrics: no %s series", seriesRSS)
	}
	return c, nil
}
