package gateway

import (
	"context"

	"github.com/smsbridge/smsbridge/internal/failover"
	"github.com/smsbridge/smsbridge/registry"
)

// newHealth builds the failover monitor of the process (after s.owner):
// the senders consult it and feed it, and it reads their link state.
// A down channel's never-submitted segments are moved by
// store.MoveUnsent (Config.Mover) to where the router sends them now
// (Config.Reroute: s.router exists before Run).
func (s *Gateway) newHealth() error {
	m, err := failover.NewMonitor(failover.Config{
		Store: s.store, Owner: s.owner, Metrics: s.metrics, Logger: s.log,
		Reroute: func(tenant string, numbers []string) []string { return s.router.Reroute(tenant, numbers) },
		Mover: failover.MoverFunc(func(ctx context.Context, from string, target func(string, []string) []string, limit int) (int, error) {
			res, err := s.store.MoveUnsent(ctx, from, target, limit)
			return int(res.Recipients), err
		}),
		Ready: func() map[string]bool {
			if s.senders == nil {
				return nil
			}
			return s.senders.ChannelsReady()
		},
	})
	if err != nil {
		return err
	}
	s.health = m
	return nil
}

// healthRules sets the monitor's channels to those of snap that are not
// deleted, with their failover rules.
func (s *Gateway) healthRules(snap *registry.Snapshot) {
	rules := map[string]failover.Rules{}
	for _, ch := range snap.Channels() {
		c := *ch
		c.FillDefaults(func(string) bool { return false }) // records stored before the section have none
		rules[ch.Name] = c.Failover.Rules()
	}
	s.health.SetRules(rules)
}
