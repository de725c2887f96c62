package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// ReadyTimeout bounds the Redis PING of GET /readyz.
const ReadyTimeout = 2 * time.Second

// ReadyResponse is the body of GET /readyz (200 and 503 alike).
type ReadyResponse struct {
	// Status is "ready" or "not_ready".
	Status string `json:"status"`
	// Redis is "ok" or "unavailable" (the cause is logged, never shown:
	// it names internal addresses).
	Redis string `json:"redis"`
	// Channels maps every active channel to true when at least one
	// link is logged in (absent when the process runs no sender).
	Channels map[string]bool `json:"channels,omitempty"`
	// FailedOver maps each channel that is failed over (it takes no new
	// traffic: see README "Failover") to the rule that tripped it:
	// no_link, problem_result or failure_share. Detail only: a failed
	// over channel does not make the replica not ready by itself.
	FailedOver map[string]string `json:"failed_over,omitempty"`
	// Detail maps a channel without a logged-in link to the reason when
	// known: "no_link_slot" (its max_links are held by other replicas).
	// Such a channel does not make the replica not ready: the replicas
	// holding its slots send its queue.
	Detail map[string]string `json:"detail,omitempty"`
}

// ReadinessDetail is implemented by a Readiness that can tell why a
// channel has no logged-in link (the sender: ChannelsDetail).
type ReadinessDetail interface {
	// ChannelsDetail maps channels to the reason they have no link.
	ChannelsDetail() map[string]string
}

// healthz handles GET /healthz: the process is alive and serving HTTP.
// It checks nothing else, so an orchestrator does not restart the service
// because Redis or the ISMG is down.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz handles GET /readyz: 200 when Redis serves every active channel
// of the registry (store.Ready: on Redis Cluster, the master of each
// channel's slot answers PING) and every one has a logged-in link, else
// 503 with the details. A channel whose cluster link slots (max_links) are
// all held by other replicas is shown in Detail ("no_link_slot") and does
// not make the replica unready: the replicas holding them send its queue.
func (s *Server) readyz(c *gin.Context) {
	out := ReadyResponse{Status: "ready", Redis: "ok"}
	ctx, cancel := context.WithTimeout(c.Request.Context(), ReadyTimeout)
	defer cancel()
	var names []string
	for _, ch := range s.registry.Snapshot().Channels() {
		names = append(names, ch.Name)
	}
	err := s.store.Ready(ctx, names)
	s.noteRedisState(err)
	if err != nil {
		out.Status, out.Redis = "not_ready", "unavailable"
	}
	if s.readiness != nil {
		ready := s.readiness.ChannelsReady()
		var detail map[string]string
		if d, ok := s.readiness.(ReadinessDetail); ok {
			detail = d.ChannelsDetail()
		}
		out.Channels = make(map[string]bool, len(names))
		for _, name := range names {
			out.Channels[name] = ready[name]
			if why := detail[name]; why != "" && !ready[name] {
				if out.Detail == nil {
					out.Detail = map[string]string{}
				}
				out.Detail[name] = why
				continue
			}
			if !ready[name] {
				out.Status = "not_ready"
			}
		}
	}
	if s.failover != nil {
		if down := s.failover.DownChannels(); len(down) > 0 {
			out.FailedOver = down
		}
	}
	code := http.StatusOK
	if out.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	c.JSON(code, out)
}

// noteRedisState logs the Redis readiness when it changes: the cause at
// warn when Redis stops being ready (once, not on every probe), and at
// info when it is ready again.
func (s *Server) noteRedisState(err error) {
	if err != nil {
		if s.redisDown.CompareAndSwap(false, true) {
			s.log.Warn().Err(err).Msg("readyz: Redis not ready")
		}
		return
	}
	if s.redisDown.CompareAndSwap(true, false) {
		s.log.Info().Msg("readyz: Redis ready again")
	}
}
