package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/store"
)

// DrainResponse is the body of POST /admin/channels/{name}/drain-to/{other}.
type DrainResponse struct {
	// MovedRequests and MovedSegments count what now waits in {other}'s
	// queue.
	MovedRequests int64 `json:"moved_requests"`
	MovedSegments int64 `json:"moved_segments"`
	// LeftRequests counts requests that stay (e.g. segments being sent or
	// awaiting a report on {name}); call again once they are final or
	// queued.
	LeftRequests int64 `json:"left_requests"`
}

// FailQueuedResponse is the body of POST /admin/channels/{name}/fail-queued.
type FailQueuedResponse struct {
	// FailedSegments counts segments made final failed (error_code
	// channel_removed); their webhooks follow.
	FailedSegments int64 `json:"failed_segments"`
}

// deletedChannel returns the name of the channel named by the path, which
// must be deleted: draining or failing the queue of a channel whose links
// run on some replica would race with them, and only a deleted channel is
// sure to run no link anywhere (readiness is known per replica only). Else
// it answers 404 or 409 channel_active.
func (s *Server) deletedChannel(c *gin.Context) (string, bool) {
	ch, ok := s.snapChannel(c, "name")
	if !ok {
		return "", false
	}
	if !ch.Deleted() {
		abort(c, errorf(http.StatusConflict, CodeChannelActive, "channel "+quote(ch.Name)+" is not deleted: DELETE /admin/channels/"+ch.Name+" first"))
		return "", false
	}
	return ch.Name, true
}

// drainChannel handles POST /admin/channels/{name}/drain-to/{other}: the
// queued requests of deleted channel {name} move to active channel
// {other} (whichever tenants may use it: the operator decides).
func (s *Server) drainChannel(c *gin.Context) {
	from, ok := s.deletedChannel(c)
	if !ok {
		return
	}
	to, ok := s.snapChannel(c, "other")
	if !ok {
		return
	}
	logOf(c).channel = from
	if to.Deleted() {
		abort(c, errorf(http.StatusConflict, CodeConflict, "channel "+quote(to.Name)+" is deleted: drain to an active channel"))
		return
	}
	res, err := s.store.MoveQueued(c.Request.Context(), from, to.Name)
	if err != nil {
		abortInternal(c, err)
		return
	}
	if res.Segments > 0 {
		s.wake.JobsQueued(to.Name)
	}
	c.JSON(http.StatusOK, DrainResponse{MovedRequests: res.Requests, MovedSegments: res.Segments, LeftRequests: res.LeftRequests})
}

// failQueued handles POST /admin/channels/{name}/fail-queued: every queued
// segment of deleted channel {name} becomes final failed with error_code
// channel_removed, and its webhooks are sent.
func (s *Server) failQueued(c *gin.Context) {
	name, ok := s.deletedChannel(c)
	if !ok {
		return
	}
	n, err := s.store.FailQueued(c.Request.Context(), name, store.ErrCodeChannelRemoved)
	if err != nil {
		abortInternal(c, err)
		return
	}
	if n > 0 {
		s.wake.EventsReady(name)
	}
	c.JSON(http.StatusOK, FailQueuedResponse{FailedSegments: n})
}
