package cmppserver

import (
	"context"
	"time"
)

// renewLoop renews this replica's link slots every LinkLease/3, one call
// per account; a lost slot ends its link.
func (s *Server) renewLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.LinkLease.D() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.renewSlots(ctx)
		}
	}
}

// renewSlots renews every account's slots once.
func (s *Server) renewSlots(ctx context.Context) {
	byAccount := map[string][]*link{}
	for _, l := range s.front.allLinks() {
		byAccount[l.account] = append(byAccount[l.account], l)
	}
	for account, links := range byAccount {
		ids := make([]string, len(links))
		byID := make(map[string]*link, len(links))
		for i, l := range links {
			ids[i] = l.id
			byID[l.id] = l
		}
		rctx, cancel := context.WithTimeout(ctx, s.cfg.LinkLease.D()/3)
		lost, err := s.deps.Store.RenewLinkSlots(rctx, slotScope(account), ids, s.cfg.LinkLease.D())
		cancel()
		if err != nil {
			s.deps.Logger.Warn().Err(err).Str("account", account).Msg("cmpp server: renewing link slots failed")
			continue
		}
		for _, id := range lost {
			if l := byID[id]; l != nil {
				l.terminate("link slot lost")
			}
		}
	}
}

// watchRegistry ends links whose account changed: secret changed, CMPP
// access removed, tenant deleted or disabled, address no longer allowed.
func (s *Server) watchRegistry(ctx context.Context) {
	ch := s.deps.Registry.Changed()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			s.checkLinks()
		}
	}
}

// checkLinks compares every link with the current snapshot.
func (s *Server) checkLinks() {
	snap := s.deps.Registry.Snapshot()
	for _, l := range s.front.allLinks() {
		if reason := s.stale(l, snap); reason != "" {
			l.terminate(reason)
		}
	}
}
