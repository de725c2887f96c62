package failover

import (
	dto "github.com/prometheus/client_model/go"

	"github.com/smsbridge/smsbridge/internal/metrics"
)

// counterValue reads smsbridge_failover_switches_total of one series.
func counterValue(m *metrics.Metrics, channel, rule, dir string) float64 {
	var out dto.Metric
	if err := m.FailoverSwitches.WithLabelValues(channel, rule, dir).Write(&out); err != nil {
		return -1
	}
	return out.GetCounter().GetValue()
}

// gaugeValue reads smsbridge_channel_down of channel.
func gaugeValue(m *metrics.Metrics, channel string) float64 {
	var out dto.Metric
	if err := m.ChannelDown.WithLabelValues(channel).Write(&out); err != nil {
		return -1
	}
	return out.GetGauge().GetValue()
}
