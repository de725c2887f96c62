package store

import (
	"context"
	"fmt"
)

// scriptRateTakeN is AllowRequests' script (kept beside its one caller so
// that adding it touches no shared file).
var scriptRateTakeN = loadLua("rate_take_n", false)

// AllowRequests counts up to n requests of tenant against perSec requests
// per second in one Redis call: the same GCRA and key as AllowRequest, so
// both kinds of callers share the tenant's rate. It returns how many of
// the n pass (the first ones in the caller's order). perSec 0 (or less)
// means no limit: all pass without a Redis call.
func (s *Store) AllowRequests(ctx context.Context, tenant string, perSec, n int) (allowed int, err error) {
	if err := CheckTenant("tenant", tenant); err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, nil
	}
	if perSec <= 0 {
		return n, nil
	}
	v, err := s.run(ctx, "allow requests", scriptRateTakeN, []string{s.keys.RequestRate(tenant)},
		ms(s.now()), perSec, n)
	if err != nil {
		return 0, err
	}
	k, ok := v.(int64)
	if !ok || k < 0 || k > int64(n) {
		return 0, fmt.Errorf("%w: allow requests reply %v", ErrBadReply, v)
	}
	return int(k), nil
}
