package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
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

// Sample is one line of the Prometheus text exposition format.
type Sample struct {
	// Name is the metric name.
	Name string
	// Labels are the label pairs (nil without labels).
	Labels map[string]string
	// Value is the sample value.
	Value float64
}

// Samples is a parsed /metrics page.
type Samples []Sample

// errPromSyntax is wrapped by every ParsePrometheusText error.
var errPromSyntax = errors.New("prometheus text: syntax error")

// ParsePrometheusText reads the Prometheus text exposition format (version
// 0.0.4): comment and blank lines are skipped; every other line is
// `name[{label="value",…}] value [timestamp]`. When keep is not nil, only
// samples whose name it accepts are returned (the others are still checked
// for syntax only as far as their name).
func ParsePrometheusText(r io.Reader, keep func(name string) bool) (Samples, error) {
	var out Samples
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		name, rest := splitName(text)
		if name == "" {
			return nil, fmt.Errorf("%w: line %d: no metric name", errPromSyntax, line)
		}
		if keep != nil && !keep(name) {
			continue
		}
		s, err := parseSample(name, rest)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %s: %v", errPromSyntax, line, name, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("prometheus text: %w", err)
	}
	return out, nil
}

// splitName cuts the metric name off a sample line.
func splitName(text string) (name, rest string) {
	i := 0
	for i < len(text) {
		c := text[i]
		if c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			i++
			continue
		}
		break
	}
	return text[:i], text[i:]
}

// parseSample reads `{labels} value [timestamp]` after the name.
func parseSample(name, rest string) (Sample, error) {
	s := Sample{Name: name}
	if strings.HasPrefix(rest, "{") {
		var err error
		s.Labels, rest, err = parseLabels(rest[1:])
		if err != nil {
			return s, err
		}
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 {
		return s, fmt.Errorf("want a value and an optional timestamp, got %q", rest)
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, err
	}
	s.Value = v
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return s, fmt.Errorf("timestamp %q: not an integer", fields[1])
		}
	}
	return s, nil
}

// parseValue reads a sample value, including +Inf, -Inf and NaN.
func parseValue(f string) (float64, error) {
	switch f {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q: not a number", f)
	}
	return v, nil
}

// parseLabels reads `name="value",…}` and returns what follows the '}'.
func parseLabels(s string) (map[string]string, string, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, "", errors.New("label without '='")
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " ")
		if !strings.HasPrefix(s, `"`) {
			return nil, "", fmt.Errorf("label %s: value not quoted", key)
		}
		var val strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' {
				val.WriteByte(s[i])
				continue
			}
			i++
			if i == len(s) {
				break
			}
			switch s[i] {
			case 'n':
				val.WriteByte('\n')
			case '\\', '"':
				val.WriteByte(s[i])
			default:
				return nil, "", fmt.Errorf(`label %s: bad escape \%c`, key, s[i])
			}
		}
		if i >= len(s) {
			return nil, "", fmt.Errorf("label %s: unterminated value", key)
		}
		labels[key] = val.String()
		s = strings.TrimLeft(s[i+1:], " ")
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "}"):
		default:
			return nil, "", fmt.Errorf("label %s: want ',' or '}' after the value", key)
		}
	}
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
