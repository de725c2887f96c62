package gateway

import (
	"github.com/smsbridge/smsbridge/internal/failover"
	"github.com/smsbridge/smsbridge/registry"
)

// newHealth builds the failover monitor of the process (after s.owner):
// the senders consult it and feed it, and it reads their link state.
// Moving a down channel's never-submitted segments needs the router
// (Config.Reroute, wired: s.router exists before Run) and
// store.MoveUnsent (Config.Mover), wired once it exists; without it a
// down channel's queue waits for its failback.
func (s *Gateway) newHealth() error {
	m, err := failover.NewMonitor(failover.Config{
		Store: s.store, Owner: s.owner, Metrics: s.metrics, Logger: s.log,
		Reroute: func(tenant string, numbers []string) []string { return s.router.Reroute(tenant, numbers) },
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
