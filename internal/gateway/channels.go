package gateway

import (
	"errors"
	"slices"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/sender"
	"github.com/smsbridge/smsbridge/webhook"
)

// channelSettings returns the sender settings of registry channel ch. In
// demo mode a channel without addr is pointed at the embedded simulator,
// which gets (or is updated to) an account of its sp_id and secret.
func (s *Gateway) channelSettings(ch *registry.Channel) sender.Settings {
	c := *ch
	c.FillDefaults(func(string) bool { return false }) // stored channels have them; a nil fee_user_type never panics
	link := c.LinkConfig()
	if link.Addr == "" && s.sim != nil {
		link.Addr = s.sim.Addr()
	}
	return sender.Settings{
		Name:  c.Name,
		Link:  link,
		Links: c.Links,
		// The cluster link limit and its slot lease (sender.linkSlots).
		MaxLinks:  c.MaxLinks,
		SlotLease: s.cfg.Queue.LinkSlotLease.D(),
		MsgSrc:    c.MsgSrc, SrcID: c.SrcID, ServiceID: c.ServiceID,
		FeeType: c.FeeType, FeeCode: c.FeeCode, FeeUserType: *c.FeeUserType,
		MaxSubmitsPerSec:   c.MaxSubmitsPerSec,
		FlowControlTimeout: s.cfg.Queue.FlowControlTimeout.D(),
		DrainTimeout:       s.cfg.ShutdownTimeout.D(),
	}
}

// newChannel builds the sender channel of ch (see channelSettings). A
// channel without addr is refused unless the embedded simulator is on (it
// was stored by a replica in demo mode): it has nothing to connect to.
func (s *Gateway) newChannel(ch *registry.Channel) (*sender.Channel, sender.Settings, error) {
	set := s.channelSettings(ch)
	if set.Link.Addr == "" {
		return nil, set, errors.New("addr: empty, and no embedded simulator (simulator.embedded) to point the channel at")
	}
	if ch.Addr == "" && s.sim != nil {
		if err := s.simAccount(ch); err != nil {
			return nil, set, err
		}
	}
	c, err := sender.NewChannel(set, sender.Deps{
		Store: s.store, Metrics: s.metrics, Owner: s.owner, Wake: s.wake,
		Logger: s.log.With().Str("component", "sender").Logger(),
		CMPPMO: s.cmppMO, Health: s.health,
	})
	return c, set, err
}

// simAccount makes sure the embedded simulator has an account for demo
// channel ch (added at start or at runtime) with its current secret.
func (s *Gateway) simAccount(ch *registry.Channel) error {
	accts := s.sim.Accounts()
	i := slices.IndexFunc(accts, func(a ismgsim.Account) bool { return a.SPID == ch.SPID })
	switch {
	case i < 0:
		return s.sim.AddAccount(ismgsim.Account{SPID: ch.SPID, Secret: ch.Secret})
	case accts[i].Secret != ch.Secret:
		accts[i].Secret = ch.Secret
		return s.sim.UpdateAccount(accts[i])
	}
	return nil
}

// webhookLeaseSize is the most events the dispatcher leases at once for
// the tenants of snap: a batch POST holds events of one lease, so it is at
// least the largest webhook_batch_max (registry.MaxWebhookBatch at most),
// and never below the dispatcher's default.
func webhookLeaseSize(snap *registry.Snapshot) int {
	n := webhook.DefaultBatchSize
	for _, t := range snap.Tenants() {
		n = max(n, min(t.WebhookBatchMax, registry.MaxWebhookBatch))
	}
	return n
}

// webhookSecrets returns every secret that signs a tenant's webhooks now,
// for the demo receiver.
func webhookSecrets(snap *registry.Snapshot) []string {
	var out []string
	for _, t := range snap.Tenants() {
		out = append(out, t.Secrets(time.Now())...)
	}
	return out
}
