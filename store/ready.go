package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Ready checks that Redis can serve every channel. On a single server or
// Sentinel it PINGs the server. On Redis Cluster a PING reaches whichever
// node the client picks, which says nothing about the node holding a
// channel's keys: Ready PINGs the master owning each channel's hash slot
// instead (deterministic: the same nodes on every probe), so a dead
// channel master makes the store not ready. The error names the channel; it may
// carry node addresses, so log it, do not show it to clients.
func (s *Store) Ready(ctx context.Context, channels []string) error {
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		if err := s.rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("store: ping: %w", err)
		}
		return nil
	}
	for _, ch := range channels {
		node, err := cc.MasterForKey(ctx, s.keys.Queue(ch))
		if err != nil {
			return fmt.Errorf("store: channel %s: find the master of its slot: %w", ch, err)
		}
		if err := node.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("store: channel %s: ping the master of its slot: %w", ch, err)
		}
	}
	return nil
}
