package gateway

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/sender"
)

// reconciler makes the running parts follow the registry: the senders run
// exactly the channels of the current snapshot that are not deleted, with
// their current settings; the wake-up hub, the maintainer and the webhook
// dispatcher serve every channel that may hold data (deleted ones
// included). A change never waits for a drain: channels stopped or
// replaced drain on goroutines the reconciler owns (tracked by channel
// name), while later changes apply at once. Only the goroutine of run uses
// its fields.
type reconciler struct {
	gw *Gateway
	// running is the settings of each channel given to the senders.
	running map[string]sender.Settings
	// refused is the settings of each channel newChannel refused, so that
	// the same refusal is logged once.
	refused map[string]sender.Settings
	// withData is the channel list the hub, the maintainer and the
	// dispatcher follow.
	withData []string
	// draining counts, by channel name, the channels stopping after a
	// Remove or Replace; each reports its name on drained once stopped.
	draining map[string]int
	drained  chan string
}

// newReconciler returns the reconciler of gw, whose senders run the
// channels of running and whose hub, maintainer and dispatcher follow
// withData.
func newReconciler(gw *Gateway, running map[string]sender.Settings, refused map[string]sender.Settings, withData []string) *reconciler {
	return &reconciler{gw: gw, running: running, refused: refused, withData: withData,
		draining: map[string]int{}, drained: make(chan string)}
}

// run reconciles once, then after every registry change, until ctx ends;
// then it waits for the channels still draining. Their drains end at once
// when drainCtx does (the shutdown budget is spent).
func (r *reconciler) run(ctx, drainCtx context.Context) {
	changed := r.gw.reg.Changed()
	r.reconcile(drainCtx, r.gw.reg.Snapshot())
	for {
		select {
		case <-ctx.Done():
			for len(r.draining) > 0 {
				r.drainEnded(<-r.drained)
			}
			return
		case <-changed:
			r.reconcile(drainCtx, r.gw.reg.Snapshot())
		case name := <-r.drained:
			r.drainEnded(name)
			r.pruneHub()
		}
	}
}

// reconcile applies snap without waiting for any drain; the channels it
// stops or replaces drain in the background (see stopping).
func (r *reconciler) reconcile(drainCtx context.Context, snap *registry.Snapshot) {
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
	r.withData = withData
	gw.healthRules(snap)
	gw.webhooks.SetBatchSize(webhookLeaseSize(snap))

	want := map[string]bool{}
	for _, ch := range snap.Channels() {
		want[ch.Name] = true
		r.apply(drainCtx, snap, ch)
	}
	for _, name := range slices.Sorted(maps.Keys(r.running)) {
		if want[name] {
			continue
		}
		delete(r.running, name)
		log := gw.log.With().Str("channel", name).Int64("registry_version", snap.Version).Logger()
		st, err := gw.senders.BeginRemove(name)
		if err != nil {
			log.Error().Err(err).Msg("reconcile: stop channel")
			continue
		}
		r.stopping(drainCtx, name, st, log, "channel stopped; its queued segments stay queued")
	}
	for name := range r.refused {
		if !want[name] {
			delete(r.refused, name)
		}
	}
	r.pruneHub()
}

// apply starts channel ch of snap, or replaces it if its settings changed.
func (r *reconciler) apply(drainCtx context.Context, snap *registry.Snapshot, ch *registry.Channel) {
	gw := r.gw
	old, running := r.running[ch.Name]
	set := gw.channelSettings(ch)
	if running && old.Equal(set) {
		delete(r.refused, ch.Name) // back to the settings it runs with
		return
	}
	if bad, ok := r.refused[ch.Name]; ok && bad.Equal(set) {
		return // logged when refused
	}
	log := gw.log.With().Str("channel", ch.Name).Int64("registry_version", snap.Version).Logger()
	c, set, err := gw.newChannel(ch)
	if err != nil {
		r.refused[ch.Name] = set
		log.Error().Err(err).Msg("reconcile: channel settings refused; the channel keeps its previous state")
		return
	}
	delete(r.refused, ch.Name)
	if !running {
		if err := gw.senders.Add(context.Background(), c); err != nil {
			logStartError(log, err, "reconcile: start channel")
			return
		}
		r.running[ch.Name] = set
		log.Info().Str("addr", set.Link.Addr).Int("links", set.Links).Msg("channel started")
		return
	}
	st, err := gw.senders.BeginReplace(c)
	if err != nil {
		logStartError(log, err, "reconcile: replace channel")
		return
	}
	r.running[ch.Name] = set
	log = log.With().Str("addr", set.Link.Addr).Int("links", set.Links).Logger()
	r.stopping(drainCtx, ch.Name, st, log, "channel replaced")
}

// logStartError logs a refused Add or Replace: at info once the shutdown
// began (nothing starts any more), else as an error.
func logStartError(log zerolog.Logger, err error, msg string) {
	if errors.Is(err, sender.ErrServiceStopped) {
		log.Info().Err(err).Msg(msg + ": shutting down")
		return
	}
	log.Error().Err(err).Msg(msg)
}

// stopping waits on a goroutine for the channel st of name to stop, then
// logs msg and reports name on r.drained. If drainCtx ends first, the
// drain is ended at once.
func (r *reconciler) stopping(drainCtx context.Context, name string, st *sender.Stopping, log zerolog.Logger, msg string) {
	r.draining[name]++
	go func() {
		if err := st.Wait(drainCtx); err != nil {
			log.Warn().Err(err).Msg(msg + " (drain cut short)")
		} else {
			log.Info().Msg(msg)
		}
		r.drained <- name // run receives until every drain has reported
	}()
}

// drainEnded books the end of a drain of channel name.
func (r *reconciler) drainEnded(name string) {
	if r.draining[name]--; r.draining[name] <= 0 {
		delete(r.draining, name)
	}
}

// pruneHub removes from the wake hub every channel nothing serves any
// more: its data is gone (moved or failed, then purged from the registry,
// so the maintainer and the dispatcher no longer follow it), the senders
// do not run it and no instance of it is still draining.
func (r *reconciler) pruneHub() {
	for _, name := range r.gw.wake.Channels() {
		if slices.Contains(r.withData, name) || r.draining[name] > 0 {
			continue
		}
		if _, ok := r.running[name]; ok {
			continue
		}
		r.gw.wake.Remove(name)
	}
}
