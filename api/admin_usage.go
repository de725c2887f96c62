package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/store"
)

// MaxUsageDays is the longest range GET /admin/tenants/{name}/usage
// answers.
const MaxUsageDays = 366

// UsageResponse is the body of GET /admin/tenants/{name}/usage.
type UsageResponse struct {
	// Tenant echoes the path; TimeZone is the zone its days are counted in.
	Tenant   string `json:"tenant"`
	TimeZone string `json:"time_zone"`
	// Days has one entry per day from..to, in order (zeros included).
	Days []UsageDay `json:"days"`
}

// UsageDay is one day of a tenant's usage, in segments, summed over every
// channel.
type UsageDay struct {
	// Date is the tenant's local date (YYYY-MM-DD).
	Date string `json:"date"`
	// Accepted counts segments accepted by POST /sms; Submitted those
	// submitted to the ISMG; Delivered, Failed, Unknown and Cancelled
	// those that became final so.
	Accepted  int64 `json:"accepted"`
	Submitted int64 `json:"submitted"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
	Unknown   int64 `json:"unknown"`
	Cancelled int64 `json:"cancelled"`
}

// queryDay parses an optional YYYY-MM-DD query parameter into a store day.
func queryDay(c *gin.Context, name string, def int) (int, *apiError) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseInLocation(DateLayout, v, time.UTC)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, CodeInvalidParam, name+" must be a date YYYY-MM-DD, not "+quote(v))
	}
	return store.Day(d, 0), nil
}

// tenantUsage handles GET /admin/tenants/{name}/usage?from=&to=: the
// tenant's counters per day of its time zone (default: today only), at
// most MaxUsageDays days, summed over every channel that may hold data
// (deleted ones included).
func (s *Server) tenantUsage(c *gin.Context) {
	snap, t, ok := s.snapTenant(c)
	if !ok {
		return
	}
	loc := snap.Location(t)
	today := localDay(s.now().In(loc))
	to, e := queryDay(c, "to", today)
	if e != nil {
		abort(c, e)
		return
	}
	from, e := queryDay(c, "from", min(to, today))
	if e != nil {
		abort(c, e)
		return
	}
	switch {
	case from > to:
		abort(c, errorf(http.StatusBadRequest, CodeInvalidParam, "from ("+dayDate(from)+") is after to ("+dayDate(to)+")"))
		return
	case to-from+1 > MaxUsageDays:
		abort(c, errorf(http.StatusBadRequest, CodeInvalidParam, "at most "+strconv.Itoa(MaxUsageDays)+" days at once"))
		return
	}
	rows, err := s.store.Usage(c.Request.Context(), snap.ChannelNamesWithData(), t.Name, from, to)
	if err != nil {
		abortInternal(c, err)
		return
	}
	out := UsageResponse{Tenant: t.Name, TimeZone: loc.String(), Days: make([]UsageDay, to-from+1)}
	for i := range out.Days {
		out.Days[i].Date = dayDate(from + i)
	}
	for _, r := range rows {
		if r.Day < from || r.Day > to {
			continue
		}
		d := &out.Days[r.Day-from]
		d.Accepted += r.Accepted
		d.Submitted += r.Submitted
		d.Delivered += r.Delivered
		d.Failed += r.Failed
		d.Unknown += r.Unknown
		d.Cancelled += r.Cancelled
	}
	c.JSON(http.StatusOK, out)
}
