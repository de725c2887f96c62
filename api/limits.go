package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// DateLayout is how the API writes a tenant's day (usage, quota messages).
const DateLayout = "2006-01-02"

// localDay is the store's day (store.Day) of local time t: its calendar
// date in t's zone, so a tenant's day runs from its local midnight to the
// next.
func localDay(t time.Time) int {
	_, offset := t.Zone()
	return store.Day(t, offset)
}

// dayDate is the calendar date of store day n.
func dayDate(n int) string {
	return time.Unix(int64(n)*86400, 0).UTC().Format(DateLayout)
}

// quotaTaken is what admit charged to a tenant's daily quota (n 0: none).
type quotaTaken struct {
	tenant string
	day    int
	n      int64
}

// admit applies tenant t's limits to a request of n segments at local
// time now (in the tenant's zone), rate first (a refused request must not
// use quota), then the daily quota, which it charges. It answers and
// returns ok false when a limit refuses the request or Redis fails (503 as
// for any store error). A zero limit costs no Redis call.
func (s *Server) admit(ctx context.Context, c *gin.Context, t *registry.Tenant, now time.Time, n int64) (q quotaTaken, ok bool) {
	if perSec := t.Limits.MaxRequestsPerSec; perSec > 0 {
		allowed, retry, err := s.store.AllowRequest(ctx, t.Name, perSec)
		if err != nil {
			abortInternal(c, err)
			return q, false
		}
		if !allowed {
			secs := retryAfterSeconds(retry)
			c.Header("Retry-After", strconv.Itoa(secs))
			abort(c, errorf(http.StatusTooManyRequests, CodeRateLimited,
				fmt.Sprintf("the tenant's limit of %d requests per second is reached; retry after %d s", perSec, secs)))
			return q, false
		}
	}
	if limit := t.Limits.MaxSegmentsPerDay; limit > 0 {
		day := localDay(now)
		taken, used, err := s.store.TakeQuota(ctx, t.Name, day, n, limit)
		if err != nil {
			abortInternal(c, err)
			return q, false
		}
		if !taken {
			y, m, d := now.Date()
			midnight := time.Date(y, m, d+1, 0, 0, 0, 0, now.Location())
			c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(midnight.Sub(now))))
			abort(c, errorf(http.StatusTooManyRequests, CodeQuotaExceeded,
				fmt.Sprintf("the tenant's quota of %d segments a day is exceeded for %s (%s): %d used, this request needs %d",
					limit, now.Format(DateLayout), now.Location(), used, n)))
			return q, false
		}
		q = quotaTaken{tenant: t.Name, day: day, n: n}
	}
	return q, true
}

// retryAfterSeconds is d in whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// returnQuota gives back what admit charged for a request that was
// certainly not stored. Best effort with a fresh context (the request's
// may be what failed): a failure leaves the day's count too high, which
// is logged.
func (s *Server) returnQuota(q quotaTaken) {
	if q.n == 0 {
		return
	}
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	if err := s.store.ReturnQuota(ctx, q.tenant, q.day, q.n); err != nil {
		s.log.Warn().Err(err).Str("tenant", q.tenant).Str("day", dayDate(q.day)).Msg("daily quota not given back for a request that was not stored")
	}
}
