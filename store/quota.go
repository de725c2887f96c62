package store

import (
	"context"
	"fmt"
	"time"
)

// QuotaTTL is how long a tenant's daily quota counter lives after its
// first take: the day, plus a day for time zones and late returns.
const QuotaTTL = 48 * time.Hour

// TakeQuota takes n segments from tenant's quota of day (see Day; the
// counter is shared by every channel and replica): atomically, it refuses
// when used+n would exceed limit, else adds n. It returns whether n was
// taken and the segments used after the call. Give segments back with
// ReturnQuota when the create they were taken for stored nothing.
func (s *Store) TakeQuota(ctx context.Context, tenant string, day int, n, limit int64) (ok bool, used int64, err error) {
	if err := CheckTenant("tenant", tenant); err != nil {
		return false, 0, err
	}
	if n < 0 || limit < 0 {
		return false, 0, fmt.Errorf("%w: TakeQuota n %d, limit %d: must not be negative", ErrInvalid, n, limit)
	}
	v, err := s.run(ctx, "take quota", scriptQuotaTake, []string{s.keys.Quota(tenant, day)},
		n, limit, secs(QuotaTTL))
	if err != nil {
		return false, 0, err
	}
	a, isSlice := asSlice(v)
	if !isSlice || len(a) != 2 {
		return false, 0, fmt.Errorf("%w: take quota reply %v", ErrBadReply, v)
	}
	return asInt(a[0]) == 1, int64(asInt(a[1])), nil
}

// ReturnQuota gives n segments back to tenant's quota of day (never below
// zero): the API calls it when a create failed with nothing stored.
func (s *Store) ReturnQuota(ctx context.Context, tenant string, day int, n int64) error {
	if err := CheckTenant("tenant", tenant); err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("%w: ReturnQuota n %d: must not be negative", ErrInvalid, n)
	}
	if n == 0 {
		return nil
	}
	_, err := s.run(ctx, "return quota", scriptQuotaReturn, []string{s.keys.Quota(tenant, day)}, n)
	return err
}
