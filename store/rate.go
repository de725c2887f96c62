package store

import (
	"context"
	"fmt"
	"time"
)

// AllowRequest counts one request of tenant against perSec requests per
// second, shared by every replica (a GCRA in Redis, one key per tenant, on
// the store's clock). The burst is one second's worth: after a quiet
// second perSec requests pass at once, then one every 1/perSec s. When
// refused, retryAfter is the wait before a request would pass. perSec 0
// (or less) means no limit: allowed without a Redis call.
//
// It does not reuse FlowTake's script: the channel limit allows a burst
// of a tenth of a second, too small for clients that send requests
// concurrently.
func (s *Store) AllowRequest(ctx context.Context, tenant string, perSec int) (allowed bool, retryAfter time.Duration, err error) {
	if err := CheckTenant("tenant", tenant); err != nil {
		return false, 0, err
	}
	if perSec <= 0 {
		return true, 0, nil
	}
	v, err := s.run(ctx, "allow request", scriptRateTake, []string{s.keys.RequestRate(tenant)},
		ms(s.now()), perSec)
	if err != nil {
		return false, 0, err
	}
	wait, ok := v.(int64)
	if !ok || wait < 0 {
		return false, 0, fmt.Errorf("%w: allow request reply %v", ErrBadReply, v)
	}
	if wait == 0 {
		return true, 0, nil
	}
	return false, time.Duration(wait) * time.Millisecond, nil
}
