package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a Run, written as JSON by `smsbridge bench
// -json` and as a table by WriteTable.
type Report struct {
	// StartedAt is when the send phase started.
	StartedAt time.Time `json:"started_at"`
	// Host is the machine the tool ran on.
	Host Host `json:"host"`
	// Settings echoes the load that was asked for.
	Settings Settings `json:"settings"`
	// SendSeconds is the send phase: first request due → last answer.
	SendSeconds float64 `json:"send_seconds"`
	// DrainSeconds is the wait for outstanding webhooks after it.
	DrainSeconds float64 `json:"drain_seconds"`
	// WindowSeconds is the measured window, from the first /metrics
	// scrape (just before the first request) to the last (after the
	// drain); service rates and webhooks/s are per second of it.
	WindowSeconds float64 `json:"window_seconds"`

	// SendPhase holds the rates of each stage up to the end of the send
	// phase (drain excluded).
	SendPhase StageRates `json:"send_phase"`
	// Requests counts POST /sms.
	Requests RequestCounts `json:"requests"`
	// Errors counts failed requests by HTTP status ("503") or error class
	// ("transport", "timeout", "bad_202_body").
	Errors map[string]int64 `json:"errors"`
	// ErrorSamples holds the first answer or error text per kind.
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	// Webhooks counts what the receiver got.
	Webhooks WebhookCounts `json:"webhooks"`
	// Lost is accepted recipients without an sms.status webhook after
	// the drain.
	Lost int64 `json:"lost"`
	// Queued is accepted recipients left queued on purpose: with a held
	// channel (Settings.Hold) nothing is sent and nothing is lost.
	Queued int64 `json:"queued,omitempty"`
	// Latency holds the latency distributions.
	Latency Latencies `json:"latency"`
	// Service is what the service's /metrics said (nil when scraping is
	// off).
	Service *ServiceFigures `json:"service,omitempty"`
	// CPU is the CPU time of the processes measured over the window: the
	// service (from /metrics), this tool, and Config.CPUProbes.
	CPU []ProcessCPU `json:"cpu"`
	// Redis is the Redis server's own accounting over the window (nil
	// when no Redis address was given).
	Redis *RedisFigures `json:"redis,omitempty"`
}

// Settings is the load a Run was asked to offer.
type Settings struct {
	// Preset is the named scenario the settings came from ("" = none).
	Preset string `json:"preset,omitempty"`
	// Hold is true when the channel was held: nothing sent upstream.
	Hold                 bool    `json:"hold,omitempty"`
	URL                  string  `json:"url"`
	Rate                 float64 `json:"rate"`
	Concurrency          int     `json:"concurrency"`
	DurationSeconds      float64 `json:"duration_seconds"`
	Recipients           int     `json:"recipients"`
	ContentChars         int     `json:"content_chars"`
	SegmentsPerRecipient int64   `json:"segments_per_recipient"`
	SignaturesVerified   bool    `json:"signatures_verified"`
	DrainLimitSeconds    float64 `json:"drain_limit_seconds"`
	// WebhookBatchMax is the service tenant's webhook_batch_max when the
	// tool knows it (set with -spawn -webhook-batch; 0 otherwise).
	WebhookBatchMax int `json:"webhook_batch_max,omitempty"`
}

// RequestCounts counts POST /sms requests and what they carried.
type RequestCounts struct {
	// Scheduled is how many the schedule held; Sent how many went out.
	Scheduled int64 `json:"scheduled"`
	Sent      int64 `json:"sent"`
	// Accepted got 202; Failed did not.
	Accepted int64 `json:"accepted"`
	Failed   int64 `json:"failed"`
	// AcceptedRecipients and AcceptedSegments sum the 202 bodies.
	AcceptedRecipients int64 `json:"accepted_recipients"`
	AcceptedSegments   int64 `json:"accepted_segments"`
	// Rates per second of the send phase.
	SentPerSec             float64 `json:"sent_per_sec"`
	AcceptedPerSec         float64 `json:"accepted_per_sec"`
	AcceptedSegmentsPerSec float64 `json:"accepted_segments_per_sec"`
}

// StageRates are per-second rates of each pipeline stage over the window
// up to the end of the send phase. A stage well below the one before it
// is where work piles up.
type StageRates struct {
	// Seconds is the length of that part of the window.
	Seconds float64 `json:"seconds"`
	// AcceptedSegmentsPerSec is from the 202 answers.
	AcceptedSegmentsPerSec float64 `json:"accepted_segments_per_sec"`
	// SubmitsPerSec and ReportsPerSec are from /metrics (0 without).
	SubmitsPerSec float64 `json:"submits_per_sec"`
	ReportsPerSec float64 `json:"reports_per_sec"`
	// WebhooksPerSec is unique webhooks received.
	WebhooksPerSec float64 `json:"webhooks_per_sec"`
	// Backlog is the service's counters at the end of the send phase
	// (queue depths included), nil without /metrics.
	Backlog *ServiceCounters `json:"backlog,omitempty"`
}

// WebhookCounts counts sms.status webhooks received.
type WebhookCounts struct {
	// Unique is distinct event ids; PerSec per second of the window.
	Unique int64   `json:"unique"`
	PerSec float64 `json:"per_sec"`
	// Matched is events matched to an accepted recipient (request id +
	// number).
	Matched int64 `json:"matched"`
	// Duplicates is deliveries of an event id already received.
	Duplicates int64 `json:"duplicates"`
	// Unmatched is events for no recipient of this run.
	Unmatched int64 `json:"unmatched"`
	// BadSignature is deliveries refused with 401; Malformed with 400.
	BadSignature int64 `json:"bad_signature"`
	Malformed    int64 `json:"malformed"`
	// Other is valid events of another type (sms.mo).
	Other int64 `json:"other_types"`
	// Posts is webhook POSTs accepted (answered 204), BatchPosts those of
	// them that were batches (JSON arrays of events).
	Posts      int64 `json:"posts"`
	BatchPosts int64 `json:"batch_posts"`
	// ByStatus counts unique events by data.status.
	ByStatus map[string]int64 `json:"by_status"`
}

// Latencies are the latency distributions of a run.
type Latencies struct {
	// Accept is HTTP POST /sms sent → 202 received.
	Accept LatencySummary `json:"accept"`
	// AcceptFromSchedule is due time → 202: Accept plus StartLag (what a
	// client with this schedule would see).
	AcceptFromSchedule LatencySummary `json:"accept_from_schedule"`
	// StartLag is due time → sent: above a few ms the tool (CPU or
	// Concurrency) could not keep the schedule.
	StartLag LatencySummary `json:"start_lag"`
	// AcceptToWebhook is 202 received → sms.status received, per
	// recipient.
	AcceptToWebhook LatencySummary `json:"accept_to_webhook"`
}

// ServiceFigures are the service's counters over the window.
type ServiceFigures struct {
	// SubmitsOK is the increase of smsbridge_submits_total{result="0"}.
	SubmitsOK float64 `json:"submits_ok"`
	// SubmitsPerSec is SubmitsOK per second of the window: segments
	// submitted per second.
	SubmitsPerSec float64 `json:"submits_per_sec"`
	// SubmitsOther is the increase of other SUBMIT results (Result 8
	// flow control, timeouts, lost links).
	SubmitsOther float64 `json:"submits_other"`
	// Reports is the increase of smsbridge_reports_total; ReportsMatched
	// of its outcome="matched" part.
	Reports        float64 `json:"reports"`
	ReportsMatched float64 `json:"reports_matched"`
	ReportsPerSec  float64 `json:"reports_per_sec"`
	// WebhooksDelivered and WebhooksOther are the increases of
	// smsbridge_webhooks_total by outcome (delivered / the rest).
	WebhooksDelivered float64 `json:"webhooks_delivered"`
	WebhooksOther     float64 `json:"webhooks_other"`
	// WebhookOutcomes is the increase of smsbridge_webhooks_total by
	// outcome ("deferred": the host was saturated and the event was put
	// back).
	WebhookOutcomes map[string]float64 `json:"webhook_outcomes"`
	// CPUSeconds is the increase of process_cpu_seconds_total; CPUCores
	// the same per second of the window.
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUCores   float64 `json:"cpu_cores"`
	// CPUMicrosPerSegment is CPUSeconds per submitted segment, in µs.
	CPUMicrosPerSegment float64 `json:"cpu_us_per_segment"`
	// RSSBytes is process_resident_memory_bytes at the end; PeakRSSBytes
	// the largest value seen by the periodic scrapes.
	RSSBytes     float64 `json:"rss_bytes"`
	PeakRSSBytes float64 `json:"peak_rss_bytes"`
	// PeakQueuePending is the largest smsbridge_queue_depth{state=
	// "pending"} seen (segments waiting to be sent).
	PeakQueuePending float64 `json:"peak_queue_pending"`
	// Start and End are the raw counters of the first and last scrape.
	Start ServiceCounters `json:"start"`
	End   ServiceCounters `json:"end"`
}

// ProcessCPU is the CPU time one process used over the window.
type ProcessCPU struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	// Cores is Seconds per second of the window.
	Cores float64 `json:"cores"`
	// Error is why it could not be read ("" if it was).
	Error string `json:"error,omitempty"`
}

// WriteTable writes the report for humans.
func (r *Report) WriteTable(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	s := r.Settings
	p("smsbridge bench\t%s", s.URL)
	if s.Preset != "" {
		p("preset\t%s", s.Preset)
	}
	if s.Hold {
		p("channel\theld: nothing sent upstream, accepted segments stay queued")
	}
	p("load\t%.0f req/s × %d recipient(s) × %d segment(s), concurrency %d, %.0fs (+ drain ≤ %.0fs)",
		s.Rate, s.Recipients, s.SegmentsPerRecipient, s.Concurrency, s.DurationSeconds, s.DrainLimitSeconds)
	if s.WebhookBatchMax > 1 {
		p("webhooks\tbatched: up to %d events per POST (webhook_batch_max)", s.WebhookBatchMax)
	}
	p("window\t%.2fs (send %.2fs, drain %.2fs)", r.WindowSeconds, r.SendSeconds, r.DrainSeconds)
	p("host\t%d CPUs, %s, %s, load average %.2f → %.2f", r.Host.CPUs, r.Host.CPUModel, r.Host.GoVersion, r.Host.LoadAvgStart, r.Host.LoadAvgEnd)
	p("host speed\tSHA-256 %.0f → %.0f MB/s on one core (before → after the window), steal %.1f %%", r.Host.SpeedStart, r.Host.SpeedEnd, r.Host.StealPercent)
	p("")
	p("THROUGHPUT\ttotal\tper second")
	p("requests sent\t%d\t%.1f", r.Requests.Sent, r.Requests.SentPerSec)
	p("requests accepted (202)\t%d\t%.1f", r.Requests.Accepted, r.Requests.AcceptedPerSec)
	p("segments accepted\t%d\t%.1f", r.Requests.AcceptedSegments, r.Requests.AcceptedSegmentsPerSec)
	if sv := r.Service; sv != nil {
		p("segments submitted (Result 0)\t%.0f\t%.1f", sv.SubmitsOK, sv.SubmitsPerSec)
		p("reports\t%.0f\t%.1f", sv.Reports, sv.ReportsPerSec)
	}
	p("webhooks received (unique)\t%d\t%.1f", r.Webhooks.Unique, r.Webhooks.PerSec)
	if wh := r.Webhooks; wh.Posts > 0 {
		events := wh.Unique + wh.Duplicates + wh.Unmatched + wh.Other
		p("webhook POSTs\t%d\t%.1f events each, %d batches", wh.Posts, float64(events)/float64(wh.Posts), wh.BatchPosts)
	}
	p("")
	sp := r.SendPhase
	p("SEND PHASE ONLY (%.1fs)\tper second", sp.Seconds)
	p("segments accepted\t%.1f", sp.AcceptedSegmentsPerSec)
	if sp.Backlog != nil {
		p("segments submitted\t%.1f", sp.SubmitsPerSec)
		p("reports\t%.1f", sp.ReportsPerSec)
	}
	p("webhooks received\t%.1f", sp.WebhooksPerSec)
	if b := sp.Backlog; b != nil {
		p("backlog at its end\tpending %.0f, leased %.0f, awaiting report %.0f, events ready %.0f", b.QueuePending, b.QueueLeased, b.QueueAwaiting, b.EventsReady)
	}
	p("")
	p("LATENCY (ms)\tp50\tp90\tp99\tp99.9\tmax\tn")
	lat := func(name string, l LatencySummary) {
		p("%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%d", name, l.P50, l.P90, l.P99, l.P999, l.Max, l.Count)
	}
	lat("HTTP accept", r.Latency.Accept)
	lat("accept (from schedule)", r.Latency.AcceptFromSchedule)
	lat("start lag", r.Latency.StartLag)
	lat("accept → webhook", r.Latency.AcceptToWebhook)
	p("")
	p("OUTCOME\t")
	p("lost recipients\t%d", r.Lost)
	if s.Hold {
		p("queued recipients (held)\t%d", r.Queued)
	}
	p("errors\t%s", formatCounts(r.Errors))
	p("webhook statuses\t%s", formatCounts(r.Webhooks.ByStatus))
	p("webhooks duplicate / unmatched\t%d / %d", r.Webhooks.Duplicates, r.Webhooks.Unmatched)
	p("webhooks bad signature / malformed\t%d / %d", r.Webhooks.BadSignature, r.Webhooks.Malformed)
	if sv := r.Service; sv != nil {
		p("submits not Result 0\t%.0f", sv.SubmitsOther)
		p("service webhook outcomes\t%s", formatFloatCounts(sv.WebhookOutcomes))
		p("")
		p("SERVICE\t")
		p("CPU\t%.2fs (%.2f cores)", sv.CPUSeconds, sv.CPUCores)
		p("CPU per segment\t%.1f µs", sv.CPUMicrosPerSegment)
		p("RSS end / peak\t%.1f / %.1f MB", sv.RSSBytes/1e6, sv.PeakRSSBytes/1e6)
		p("peak queue pending\t%.0f", sv.PeakQueuePending)
	}
	if len(r.CPU) > 0 {
		p("")
		p("CPU OVER THE WINDOW\tseconds\tcores")
		for _, c := range r.CPU {
			if c.Error != "" {
				p("%s\t-\t-\t(%s)", c.Name, c.Error)
				continue
			}
			p("%s\t%.2f\t%.2f", c.Name, c.Seconds, c.Cores)
		}
	}
	if r.Redis != nil {
		writeRedisTable(p, r.Redis)
	}
	return w.Flush()
}

// formatFloatCounts is formatCounts for counter deltas.
func formatFloatCounts(m map[string]float64) string {
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = int64(v)
	}
	return formatCounts(c)
}

// formatCounts writes "k=v k=v" sorted by key, or "none".
func formatCounts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, m[k])
	}
	return b.String()
}
