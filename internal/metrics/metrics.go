// Package metrics defines every Prometheus collector smsbridge exports, in
// one place, registered on a Registry the service owns (never the global
// default, so tests can run several services in one process).
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors. Create it with New; the zero value is not
// usable.
type Metrics struct {
	// Registry is what GET /metrics serves.
	Registry *prometheus.Registry

	// httpDuration observes API request latency by route, method and
	// status code; write it through ObserveHTTP, which bounds the labels.
	httpDuration *prometheus.HistogramVec
	// httpSeries caches the histogram's children by label set.
	httpSeries childCache[httpSeries, prometheus.Observer]
	// Accepted counts accepted requests and segments by channel and
	// ingress: "http" (POST /sms) or "cmpp" (a customer's SUBMIT).
	AcceptedRequests *prometheus.CounterVec
	AcceptedSegments *prometheus.CounterVec
	// acceptedSeries caches both counters' children by label set (see
	// Accepted).
	acceptedSeries childCache[acceptedSeries, acceptedCounters]
	// Submits counts SUBMIT outcomes by channel and result: "0", "8",
	// other CMPP Result codes, "timeout" (no response after N sends) and
	// "link_lost".
	Submits *prometheus.CounterVec
	// WindowInUse is the number of unanswered requests per channel/link.
	WindowInUse *prometheus.GaugeVec
	// LinkState is 1 for the state each link is in (label state).
	LinkState *prometheus.GaugeVec
	// LinkSlotsHeld is the number of cluster link slots (max_links) this
	// replica holds per channel; 0 while it has none.
	LinkSlotsHeld *prometheus.GaugeVec
	// LinkSlotEvents counts link slot events per channel: refused (all
	// held, or this replica at its share), lost (lease expired), given_back
	// (above this replica's share after a replica joined).
	LinkSlotEvents *prometheus.CounterVec
	// Reports counts status reports by channel and Stat, and by outcome
	// (matched, parked, duplicate).
	Reports *prometheus.CounterVec
	// SubmitToReport observes the time from SUBMIT_RESP to its report.
	SubmitToReport *prometheus.HistogramVec
	// MsgIDCollisions counts SUBMIT_RESPs (Result 0) whose Msg_Id was
	// already mapped to another segment still waiting for its report; the
	// later segment is final unknown with error code msg_id_collision.
	MsgIDCollisions *prometheus.CounterVec
	// MO counts completed MO messages by channel.
	MO *prometheus.CounterVec
	// FailoverSwitches counts a channel's failover transitions by rule
	// (no_link, problem_result, failure_share) and direction (down, up),
	// counted by the replica that performed each.
	FailoverSwitches *prometheus.CounterVec
	// ChannelDown is 1 while a channel is failed over, 0 otherwise, as
	// this replica last saw it.
	ChannelDown *prometheus.GaugeVec
	// Webhooks counts delivery attempts by event type and outcome:
	// delivered, retry, dead, no_callback, deferred (see webhook.Config).
	Webhooks *prometheus.CounterVec
	// WebhookDuration observes the duration of webhook POSTs.
	WebhookDuration prometheus.Histogram
	// CarrierLookups counts the carrier lookup hook's outcomes per number
	// (package carrier): ok (its answer used), cached (a cached answer
	// used), and the failures that fall back to the number range:
	// timeout, error (transport error or a status other than 200) and
	// bad_answer (not {"carrier": <code or "">}).
	CarrierLookups *prometheus.CounterVec
}

// New creates the collectors and registers them, with the Go runtime and
// process collectors, on a fresh Registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smsbridge_http_request_duration_seconds", Help: "API request latency.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "code"}),
		AcceptedRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_accepted_requests_total", Help: "Requests stored and queued (POST /sms, or a customer's CMPP SUBMIT), by channel and ingress (http, cmpp).",
		}, []string{"channel", "ingress"}),
		AcceptedSegments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_accepted_segments_total", Help: "Segments (recipient × segment) queued, by channel and ingress (http, cmpp).",
		}, []string{"channel", "ingress"}),
		Submits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_submits_total", Help: "SUBMIT outcomes by CMPP Result (or timeout, link_lost).",
		}, []string{"channel", "result"}),
		WindowInUse: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "smsbridge_window_in_use", Help: "Unanswered requests per link.",
		}, []string{"channel", "link"}),
		LinkState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "smsbridge_link_state", Help: "1 for the current state of each link.",
		}, []string{"channel", "link", "state"}),
		LinkSlotsHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "smsbridge_link_slots_held", Help: "Cluster link slots (channels[].max_links) held by this replica.",
		}, []string{"channel"}),
		LinkSlotEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_link_slot_events_total", Help: "Link slot takes refused, leases lost and slots given back to a joining replica.",
		}, []string{"channel", "event"}),
		Reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_reports_total", Help: "Status reports by Stat and match outcome.",
		}, []string{"channel", "stat", "outcome"}),
		SubmitToReport: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smsbridge_submit_to_report_seconds", Help: "Time from SUBMIT_RESP to status report.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 16),
		}, []string{"channel"}),
		MsgIDCollisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_msgid_collisions_total",
			Help: "SUBMIT_RESP Msg_Ids already mapped to another segment awaiting its report (later segment final unknown).",
		}, []string{"channel"}),
		MO: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_mo_messages_total", Help: "Completed (reassembled) MO messages.",
		}, []string{"channel"}),
		FailoverSwitches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_failover_switches_total", Help: "Channel failover transitions by rule and direction (down, up), counted once in the cluster.",
		}, []string{"channel", "rule", "direction"}),
		ChannelDown: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "smsbridge_channel_down", Help: "1 while the channel is failed over (it takes no new traffic).",
		}, []string{"channel"}),
		Webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_webhooks_total", Help: "Webhook delivery attempts by outcome.",
		}, []string{"type", "outcome"}),
		WebhookDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "smsbridge_webhook_duration_seconds", Help: "Webhook POST duration.",
			Buckets: prometheus.DefBuckets,
		}),
		CarrierLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbridge_carrier_lookups_total",
			Help: "Carrier lookup hook outcomes per number: ok, cached, timeout, error, bad_answer (failures fall back to the number range).",
		}, []string{"outcome"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.AcceptedRequests, m.AcceptedSegments, m.Submits, m.WindowInUse,
		m.LinkState, m.LinkSlotsHeld, m.LinkSlotEvents, m.Reports, m.SubmitToReport, m.MsgIDCollisions, m.MO,
		m.FailoverSwitches, m.ChannelDown, m.Webhooks, m.WebhookDuration, m.CarrierLookups,
	)
	return m
}
