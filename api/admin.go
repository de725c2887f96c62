package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/webhook"
)

// Paging of GET /admin/dead-letters.
const (
	// DefaultDeadLetterLimit is the page size when limit is absent.
	DefaultDeadLetterLimit = 50
	// MaxDeadLetterLimit is the largest page size.
	MaxDeadLetterLimit = 500
)

// DeadLetterList is the body of GET /admin/dead-letters.
type DeadLetterList struct {
	// Channel, Offset and Limit echo the query.
	Channel string `json:"channel"`
	Offset  int    `json:"offset"`
	Limit   int    `json:"limit"`
	// Events are newest first.
	Events []DeadLetter `json:"events"`
}

// DeadLetter is one dead-lettered event, without its body (which may hold
// message content).
type DeadLetter struct {
	// ID and Channel address the event (for replay).
	ID      string `json:"id"`
	Channel string `json:"channel"`
	// Type is sms.status or sms.mo.
	Type string `json:"type"`
	// Tenant owns the event; RequestID is set for sms.status.
	Tenant    string `json:"tenant"`
	RequestID string `json:"request_id,omitempty"`
	// CallbackURL is where delivery was attempted.
	CallbackURL string `json:"callback_url"`
	// CreatedAt is when the event was created, DeadAt when it was
	// dead-lettered.
	CreatedAt webhook.Time  `json:"created_at"`
	DeadAt    *webhook.Time `json:"dead_at"`
	// Attempts is the number of delivery attempts; LastError the last
	// failure ("HTTP 500", "timeout", "callback address forbidden: …"),
	// never the receiver's response body.
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
}

// ReplayResponse is the body of POST /admin/dead-letters/{channel}/{event_id}/replay.
type ReplayResponse struct {
	// Channel and EventID echo the path.
	Channel string `json:"channel"`
	EventID string `json:"event_id"`
	// Status is "queued": the event is ready for delivery again.
	Status string `json:"status"`
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(c *gin.Context, name string, def, minV, maxV int) (int, *apiError) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < minV || n > maxV {
		return 0, errorf(http.StatusBadRequest, CodeInvalidParam,
			name+" must be an integer in "+strconv.Itoa(minV)+".."+strconv.Itoa(maxV))
	}
	return n, nil
}

// adminChannel checks a channel named by a dead-letter route: any channel
// of the registry, deleted ones included (their webhooks are still sent).
func (s *Server) adminChannel(c *gin.Context, name string) bool {
	if name == "" {
		abort(c, errorf(http.StatusBadRequest, CodeInvalidParam, "channel is required"))
		return false
	}
	if _, ok := s.registry.Snapshot().Channel(name); !ok {
		abort(c, errorf(http.StatusUnprocessableEntity, CodeUnknownChannel, "no channel named "+strconv.Quote(clip(name))))
		return false
	}
	logOf(c).channel = name
	return true
}

// listDeadLetters handles GET /admin/dead-letters?channel=&offset=&limit=.
func (s *Server) listDeadLetters(c *gin.Context) {
	ch := c.Query("channel")
	if !s.adminChannel(c, ch) {
		return
	}
	offset, e := queryInt(c, "offset", 0, 0, 1<<30)
	if e != nil {
		abort(c, e)
		return
	}
	limit, e := queryInt(c, "limit", DefaultDeadLetterLimit, 1, MaxDeadLetterLimit)
	if e != nil {
		abort(c, e)
		return
	}
	evs, err := s.store.ListDead(c.Request.Context(), ch, offset, limit)
	if err != nil {
		abortInternal(c, err)
		return
	}
	out := DeadLetterList{Channel: ch, Offset: offset, Limit: limit, Events: make([]DeadLetter, 0, len(evs))}
	for _, ev := range evs {
		out.Events = append(out.Events, DeadLetter{
			ID: ev.ID, Type: string(ev.Type), Channel: ev.Channel, Tenant: ev.Tenant,
			RequestID: ev.RequestID, CallbackURL: ev.CallbackURL, CreatedAt: webhook.Time{Time: ev.CreatedAt},
			DeadAt: timePtr(ev.DeadAt), Attempts: ev.Attempts, LastError: ev.LastError,
		})
	}
	c.JSON(http.StatusOK, out)
}

// replayDeadLetter handles POST /admin/dead-letters/{channel}/{event_id}/replay.
func (s *Server) replayDeadLetter(c *gin.Context) {
	ch, eid := c.Param("channel"), c.Param("event_id")
	if !s.adminChannel(c, ch) {
		return
	}
	err := s.store.Replay(c.Request.Context(), ch, eid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no dead-lettered event "+strconv.Quote(clip(eid))+" on channel "+strconv.Quote(ch)))
		return
	case err != nil:
		abortInternal(c, err)
		return
	}
	s.wake.EventsReady(ch)
	c.JSON(http.StatusOK, ReplayResponse{Channel: ch, EventID: eid, Status: "queued"})
}
