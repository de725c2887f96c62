package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/routing"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Canceller sends CMPP_CANCEL for submitted segments. The sender implements
// it: one CMPP_CANCEL per Msg_Id over a ready (logged-in) link of the
// channel.
type Canceller interface {
	// CancelSubmitted cancels msgIDs (22-digit Msg_Id text) on channel and
	// returns one outcome per Msg_Id, in any order. An error means no
	// cancel could be attempted at all (e.g. no ready link); every segment
	// is then reported as not cancelled with that error.
	CancelSubmitted(ctx context.Context, channel string, msgIDs []string) ([]CancelOutcome, error)
}

// CancelOutcome is the result of one CMPP_CANCEL.
type CancelOutcome struct {
	// MsgID is the Msg_Id the CANCEL was sent for.
	MsgID string
	// Success is true when the ISMG cancelled the message (CANCEL_RESP
	// Success_Id 0).
	Success bool
	// Err explains a failure (no response, link lost, refused); nil when
	// the ISMG answered, whatever the answer.
	Err error
}

// Readiness reports the link state of every channel (the sender implements
// it).
type Readiness interface {
	// ChannelsReady maps each channel name to true when at least one of
	// its links is logged in.
	ChannelsReady() map[string]bool
}

// FailedOver reports the channels failed over (failover.Monitor
// implements it).
type FailedOver interface {
	// DownChannels maps each channel failed over to the rule that
	// tripped it.
	DownChannels() map[string]string
}

// Deps are what the API needs. Store, Registry, Config and Logger are
// required; Metrics, Canceller and Readiness may be nil (no metrics;
// cancels of submitted segments fail with "no_canceller"; readyz checks
// Redis only).
type Deps struct {
	// Store holds requests, idempotency records, events, limits and usage.
	Store *store.Store
	// Registry owns tenants and channels: authentication, allowed
	// channels, limits, and the admin routes that change them.
	Registry *registry.Registry
	// Config supplies http (max body, admin key), text (segmenting) and
	// webhook.allow_private_networks settings. It is read once by New;
	// its tenants and channels are the registry's business.
	Config *config.Config
	// Metrics receives HTTP latency and accepted counts and is served on
	// GET /metrics.
	Metrics *metrics.Metrics
	// Logger writes one line per HTTP request.
	Logger zerolog.Logger
	// Canceller sends CMPP_CANCEL for DELETE /sms/{id}.
	Canceller Canceller
	// Readiness tells GET /readyz whether every channel has a link.
	Readiness Readiness
	// Router picks each recipient's channel (routes by carrier). nil: a
	// Router without carrier lookup nor failover (every number of unknown
	// carrier, every channel up).
	Router *routing.Router
	// Failover tells GET /readyz which channels are failed over; nil:
	// none shown.
	Failover FailedOver
	// Wake is the process's shared wake-up signals: JobsQueued after
	// every request queued, so the sender of this process starts at once
	// instead of at its next poll, and EventsReady after an admin replay.
	// nil: nothing is signalled (the sender and dispatcher poll).
	Wake *wake.Hub
}

// Server is the HTTP API. Create it with New and serve Handler().
type Server struct {
	store     *store.Store
	registry  *registry.Registry
	log       zerolog.Logger
	metrics   *metrics.Metrics
	canceller Canceller
	readiness Readiness
	failover  FailedOver
	wake      *wake.Hub
	router    *routing.Router

	maxBody      int64
	splitter     *content.Splitter
	adminEnabled bool
	adminKeyHash [sha256.Size]byte
	// adminActor names the admin credential in the audit log:
	// "admin:" and the first 8 hex digits of its SHA-256.
	adminActor string
	// allowPrivateHooks is webhook.allow_private_networks: callback URLs
	// may name loopback, private, … addresses.
	allowPrivateHooks bool

	engine *gin.Engine

	// redisDown is set while GET /readyz finds Redis not ready (its cause
	// is logged once per change).
	redisDown atomic.Bool
}

// DefaultMaxBodyBytes is used when config http.max_body_bytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// New builds the API from deps (see Deps for which fields are required).
func New(deps Deps) *Server {
	cfg := deps.Config
	s := &Server{
		store:     deps.Store,
		registry:  deps.Registry,
		log:       deps.Logger,
		metrics:   deps.Metrics,
		canceller: deps.Canceller,
		readiness: deps.Readiness,
		failover:  deps.Failover,
		wake:      deps.Wake,
		maxBody:   cfg.HTTP.MaxBodyBytes,
		splitter: content.NewSplitter(content.Options{
			UDH16:            cfg.Text.UDH16,
			SignatureReserve: cfg.Text.SignatureReserve,
			MaxSegments:      cfg.Text.MaxSegments,
		}),
	}
	s.allowPrivateHooks = cfg.Webhook.AllowPrivateNetworks
	s.router = deps.Router
	if s.router == nil {
		s.router = routing.New(routing.Deps{Snapshot: deps.Registry.Snapshot})
	}
	if s.wake == nil {
		s.wake = wake.New() // knows no channel: signals are dropped
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if cfg.HTTP.AdminKey != "" {
		s.adminEnabled = true
		s.adminKeyHash = sha256.Sum256([]byte(cfg.HTTP.AdminKey))
		s.adminActor = "admin:" + hex.EncodeToString(s.adminKeyHash[:4])
	}
	s.engine = s.routes()
	return s
}

// Handler returns the http.Handler serving every route.
func (s *Server) Handler() http.Handler { return s.engine }

// ServeHTTP lets a *Server be used directly as an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Route is one method and path pattern of the API, in OpenAPI syntax
// ("/sms/{id}").
type Route struct {
	// Method is GET, POST, …; Path uses {name} for parameters.
	Method, Path string
}

// Routes lists every route the API serves (what openapi.yaml must
// describe).
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.engine.Routes() {
		out = append(out, Route{Method: r.Method, Path: ginToOpenAPI(r.Path)})
	}
	return out
}

// ginToOpenAPI turns "/sms/:id" into "/sms/{id}".
func ginToOpenAPI(p string) string {
	b := []byte{}
	for i := 0; i < len(p); i++ {
		if p[i] == ':' && (i == 0 || p[i-1] == '/') {
			j := i + 1
			for j < len(p) && p[j] != '/' {
				j++
			}
			b = append(b, '{')
			b = append(b, p[i+1:j]...)
			b = append(b, '}')
			i = j - 1
			continue
		}
		b = append(b, p[i])
	}
	return string(b)
}

// routes builds the gin engine.
func (s *Server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	e.Use(s.observe, s.recoverPanic)
	e.NoRoute(func(c *gin.Context) {
		abort(c, errorf(http.StatusNotFound, CodeRouteNotFound, "no route "+clip(c.Request.Method)+" "+clip(c.Request.URL.Path)))
	})
	e.NoMethod(func(c *gin.Context) {
		abort(c, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+clip(c.Request.Method)+" not allowed on "+clip(c.Request.URL.Path)))
	})

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	var mh http.Handler = http.NotFoundHandler()
	if s.metrics != nil {
		mh = promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{})
	}
	e.GET("/metrics", gin.WrapH(mh))

	sms := e.Group("/sms", s.requireTenant)
	sms.POST("", s.createSMS)
	sms.GET("/:id", s.getSMS)
	sms.DELETE("/:id", s.cancelSMS)

	admin := e.Group("/admin", s.requireAdmin)
	admin.GET("/dead-letters", s.listDeadLetters)
	admin.POST("/dead-letters/:channel/:event_id/replay", s.replayDeadLetter)

	admin.GET("/tenants", s.listTenants)
	admin.POST("/tenants", s.createTenant)
	admin.GET("/tenants/:name", s.getTenant)
	admin.PATCH("/tenants/:name", s.patchTenant)
	admin.DELETE("/tenants/:name", s.deleteTenant)
	admin.POST("/tenants/:name/keys", s.createKey)
	admin.DELETE("/tenants/:name/keys/:key_id", s.revokeKey)
	admin.GET("/tenants/:name/usage", s.tenantUsage)
	admin.GET("/tenants/:name/routes", s.getTenantRoutes)
	admin.PUT("/tenants/:name/routes", s.putTenantRoutes)

	admin.GET("/channels", s.listChannels)
	admin.POST("/channels", s.createChannel)
	admin.GET("/channels/:name", s.getChannel)
	admin.PATCH("/channels/:name", s.patchChannel)
	admin.DELETE("/channels/:name", s.deleteChannel)
	admin.POST("/channels/:name/drain-to/:other", s.drainChannel)
	admin.POST("/channels/:name/fail-queued", s.failQueued)

	s.portabilityRoutes(admin)
	return e
}

// contextWithTimeout returns a background context bounded by d, for work
// that must outlive a cancelled request context (cleanup).
func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
