package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Moved numbers (携号转网): number → current carrier code, kept in
// PortabilityShards hashes (Keys.Portability) and read by package carrier
// when carriers.portability is on. The store keeps what it is given: the
// callers (admin API) check numbers and codes.

// PortabilityEntry is one moved number.
type PortabilityEntry struct {
	// Number is the normalized 11-digit number.
	Number string
	// Carrier is its current carrier code (package carrier).
	Carrier string
}

// PortabilityGet returns the carrier of each number ("" without an
// entry), in order: one round trip (a pipeline of one HMGET per shard
// the numbers fall in).
func (s *Store) PortabilityGet(ctx context.Context, numbers []string) ([]string, error) {
	out := make([]string, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	byKey := map[string][]int{}
	var keys []string
	for i, n := range numbers {
		k := s.keys.Portability(n)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	cmds := make([]*redis.SliceCmd, len(keys))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, k := range keys {
			fields := make([]string, len(byKey[k]))
			for f, i := range byKey[k] {
				fields[f] = numbers[i]
			}
			cmds[j] = p.HMGet(ctx, k, fields...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: portability get: %w", err)
	}
	for j, k := range keys {
		for f, v := range cmds[j].Val() {
			if c, ok := v.(string); ok {
				out[byKey[k][f]] = c
			}
		}
	}
	return out, nil
}

// PortabilitySet stores entries (a later entry of the same number wins):
// one round trip, a pipeline of one HSET per shard. Not atomic across
// shards: on an error some entries may be stored; setting them again is
// harmless.
func (s *Store) PortabilitySet(ctx context.Context, entries []PortabilityEntry) error {
	if len(entries) == 0 {
		return nil
	}
	byKey := map[string][]any{}
	var keys []string
	for _, e := range entries {
		k := s.keys.Portability(e.Number)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], e.Number, e.Carrier)
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.HSet(ctx, k, byKey[k]...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: portability set: %w", err)
	}
	return nil
}

// PortabilityDelete removes number's entry; false when it had none.
func (s *Store) PortabilityDelete(ctx context.Context, number string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.keys.Portability(number), number).Result()
	if err != nil {
		return false, fmt.Errorf("store: portability delete: %w", err)
	}
	return n > 0, nil
}

// PortabilityCount returns the number of moved numbers stored (a pipeline
// of PortabilityShards HLEN).
func (s *Store) PortabilityCount(ctx context.Context) (int64, error) {
	cmds := make([]*redis.IntCmd, PortabilityShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = p.HLen(ctx, s.keys.PortabilityShard(i))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: portability count: %w", err)
	}
	var total int64
	for _, c := range cmds {
		total += c.Val()
	}
	return total, nil
}
