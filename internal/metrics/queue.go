package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DepthFunc reads the queue depths of one channel, by state name
// ("pending", "scheduled", "leased", "awaiting_report", "events_ready",
// …).
type DepthFunc func(ctx context.Context, channel string) (map[string]int64, error)

// queueCollector reads queue depths from Redis at scrape time, so every
// replica reports the shared queue as it is, not a local estimate.
type queueCollector struct {
	channels func() []string
	read     DepthFunc
	desc     *prometheus.Desc
	errDesc  *prometheus.Desc
}

// RegisterQueueDepth adds smsbridge_queue_depth{channel,state}, read with
// read for each channel that channels returns on every scrape (bounded to
// 2 s). channels is called once per scrape, so the series follow the
// channels of the process as they come and go: a channel no longer listed
// has no series. It must be safe for concurrent use.
func (m *Metrics) RegisterQueueDepth(channels func() []string, read DepthFunc) {
	m.Registry.MustRegister(&queueCollector{
		channels: channels,
		read:     read,
		desc: prometheus.NewDesc("smsbridge_queue_depth",
			"Jobs and webhook events by state, read from Redis at scrape time.", []string{"channel", "state"}, nil),
		errDesc: prometheus.NewDesc("smsbridge_queue_depth_errors",
			"1 when the last scrape could not read the channel's queue depths.", []string{"channel"}, nil),
	})
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.errDesc
}

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range c.channels() {
		depths, err := c.read(ctx, name)
		failed := 0.0
		if err != nil {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(c.errDesc, prometheus.GaugeValue, failed, name)
		for state, n := range depths {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), name, state)
		}
	}
}
