package gateway

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/sender"
)

// reconciler makes the running parts follow the registry: the senders run
// exactly the channels of the current snapshot that are not deleted, with
// their current settings; the wake-up hub, the maintainer and the webhook
// dispatcher serve every channel that may hold data (deleted ones
// included). Only Gateway.Run's goroutine uses it.
type reconciler struct {
	gw *Gateway
	// running is the settings of each channel given to the senders.
	running map[string]sender.Settings
	// withData is the channel list the hub, the maintainer and the
	// dispatcher follow.
	withData []string
}

// run reconciles once, then after every registry change, until ctx ends.
func (r *reconciler) run(ctx context.Context) {
	changed := r.gw.reg.Changed()
	for {
		r.reconcile(ctx, r.gw.reg.Snapshot())
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// reconcile applies snap. Channels to stop or replace drain in parallel
// (each as a shutdown does); it returns once they have, or ctx ended
// (their drain is then ended at once).
func (r *reconciler) reconcile(ctx context.Context, snap *registry.Snapshot) {
	gw := r.gw
	withData := snap.ChannelNamesWithData()
	for _, name := range withData {
		if !gw.wake.Has(name) {
			gw.wake.Add(name)
		}
	}
	if !slices.Equal(withData, r.withData) {
		if err := gw.maintain.SetChannels(withData); err != nil {
			gw.log.Error().Err(err).Msg("reconcile: maintainer channels")
		}
		if err := gw.webhooks.SetChannels(withData); err != nil {
			gw.log.Error().Err(err).Msg("reconcile: webhook channels")
		}
	}
	gw.webhooks.SetBatchSize(webhookLeaseSize(snap))

	var wg sync.WaitGroup
	want := map[string]bool{}
	for _, ch := range snap.Channels() {
		want[ch.Name] = true
		old, running := r.running[ch.Name]
		if running && old.Equal(gw.channelSettings(ch)) {
			continue
		}
		c, set, err := gw.newChannel(ch)
		log := gw.log.With().Str("channel", ch.Name).Int64("registry_version", snap.Version).Logger()
		if err != nil {
			log.Error().Err(err).Msg("reconcile: channel settings refused; the channel keeps its previous state")
			continue
		}
		if !running {
			if err := gw.senders.Add(ctx, c); err != nil {
				log.Error().Err(err).Msg("reconcile: start channel")
				continue
			}
			r.running[ch.Name] = set
			log.Info().Str("addr", set.Link.Addr).Int("links", set.Links).Msg("channel started")
			continue
		}
		r.running[ch.Name] = set
		wg.Go(func() {
			if err := gw.senders.Replace(ctx, c); err != nil {
				log.Warn().Err(err).Msg("reconcile: replace channel (drain cut short)")
			}
			log.Info().Str("addr", set.Link.Addr).Int("links", set.Links).Msg("channel replaced")
		})
	}
	for _, name := range slices.Sorted(maps.Keys(r.running)) {
		if want[name] {
			continue
		}
		delete(r.running, name)
		log := gw.log.With().Str("channel", name).Int64("registry_version", snap.Version).Logger()
		wg.Go(func() {
			if err := gw.senders.Remove(ctx, name); err != nil {
				log.Warn().Err(err).Msg("reconcile: stop channel (drain cut short)")
			}
			log.Info().Msg("channel stopped; its queued segments stay queued")
		})
	}
	wg.Wait()

	// A channel whose data is gone (moved or failed, then purged from the
	// registry) leaves the hub once nothing follows it any more.
	for _, name := range r.withData {
		if !slices.Contains(withData, name) {
			gw.wake.Remove(name)
		}
	}
	r.withData = withData
}
