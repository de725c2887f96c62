package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// DayUsage is a tenant's usage of one day, in segments (jobs).
type DayUsage struct {
	// Day is the day number (see Day).
	Day int
	// Accepted segments were stored by CreateRequest (R×S per request).
	Accepted int64
	// Submitted segments got SUBMIT_RESP Result 0.
	Submitted int64
	// Delivered, Failed, Unknown and Cancelled segments became final so
	// that day.
	Delivered, Failed, Unknown, Cancelled int64
}

// MaxUsageDays bounds the days one Usage call reads.
const MaxUsageDays = 400

// Usage returns tenant's usage for each day from fromDay to toDay
// (inclusive, in order, days without usage included as zeros), summed
// over channels. The counters are kept per channel and day (in the tenant's
// time zone, as given by NewRequest.UTCOffset) for UsageRetention; they
// are read in one pipeline.
func (s *Store) Usage(ctx context.Context, channels []string, tenant string, fromDay, toDay int) ([]DayUsage, error) {
	if err := CheckTenant("tenant", tenant); err != nil {
		return nil, err
	}
	if toDay < fromDay || toDay-fromDay >= MaxUsageDays {
		return nil, fmt.Errorf("%w: Usage days %d..%d: want fromDay <= toDay, at most %d days", ErrInvalid, fromDay, toDay, MaxUsageDays)
	}
	for _, ch := range channels {
		if err := checkChannel(ch); err != nil {
			return nil, err
		}
	}
	n := toDay - fromDay + 1
	out := make([]DayUsage, n)
	for i := range out {
		out[i].Day = fromDay + i
	}
	if len(channels) == 0 {
		return out, nil
	}
	cmds := make([]*redis.MapStringStringCmd, 0, n*len(channels))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ch := range channels {
			for d := fromDay; d <= toDay; d++ {
				cmds = append(cmds, p.HGetAll(ctx, s.keys.Usage(ch, tenant, d)))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: usage: %w", err)
	}
	for i, c := range cmds {
		u := &out[i%n]
		for f, v := range c.Val() {
			k, _ := strconv.ParseInt(v, 10, 64)
			switch f {
			case schema.UsageAccepted:
				u.Accepted += k
			case schema.StateSubmitted:
				u.Submitted += k
			case schema.StateDelivered:
				u.Delivered += k
			case schema.StateFailed:
				u.Failed += k
			case schema.StateUnknown:
				u.Unknown += k
			case schema.StateCancelled:
				u.Cancelled += k
			}
		}
	}
	return out, nil
}
