// Package gateway assembles the smsbridge service from its parts — Redis
// store, account registry, CMPP senders, webhook dispatcher, HTTP API, the
// CMPP server for customers' own clients (cmpp_server.addr), and in demo
// mode the embedded store and ISMG simulator — and runs it with an
// orderly drain. The accounts come from the registry: those of the
// configuration are imported at start, and a reconciler makes the senders,
// the maintainer and the dispatcher follow every change made at runtime
// (on this replica or another).
package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/cmppserver"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/carrier"
	"github.com/smsbridge/smsbridge/internal/failover"
	"github.com/smsbridge/smsbridge/internal/maintain"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/routing"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/sender"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/webhook"
)

// DemoAPIKey is the documented key of the demo tenant in the shipped
// config.yaml. The service refuses it unless it runs in demo mode (embedded
// simulator) on a loopback address.
const DemoAPIKey = "demo-key"

// Gateway is the assembled service: one process serving the HTTP API,
// sending through the channels and dispatching webhooks.
type Gateway struct {
	cfg       *config.Config
	log       zerolog.Logger
	rdb       redis.UniversalClient
	store     *store.Store
	reg       *registry.Registry
	sim       *ismgsim.Server // the embedded simulator (demo mode), or nil
	owner     string          // this process's lease owner id
	reconcile *reconciler
	metrics   *metrics.Metrics
	carriers  *carrier.Resolver // the carrier of each recipient, for routing
	wake      *wake.Hub
	maintain  *maintain.Maintainer
	senders   *sender.Service
	health    *failover.Monitor // channel failover health, fed by the senders
	webhooks  *webhook.Dispatcher
	api       *api.Server
	http      *http.Server
	ln        net.Listener
	cmpp      *cmppserver.Server // customers' CMPP front door, or nil (cmpp_server.addr empty)
	router    *routing.Router    // each recipient's channel, for POST /sms and the CMPP server
	closers   []func()           // run in reverse order after everything stopped
	version   string
}

// Options are build-time facts the configuration does not hold.
type Options struct {
	// Version goes into logs and the webhook User-Agent.
	Version string
}

// New builds every part from cfg and starts listening (so Addr is known),
// but sends nothing until Run. cfg may be changed (channel addresses of the
// embedded simulator are filled in).
func New(cfg *config.Config, log zerolog.Logger, opts Options) (_ *Gateway, err error) {
	s := &Gateway{cfg: cfg, log: log, metrics: metrics.New(), version: opts.Version}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if err := checkDemoKey(cfg); err != nil {
		return nil, err
	}
	// A Config that did not come through config.Parse is checked here, so
	// that no part below panics on it.
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := s.openRedis(); err != nil {
		return nil, err
	}
	if err := s.openRegistry(); err != nil {
		return nil, err
	}
	snap := s.reg.Snapshot()
	withData := snap.ChannelNamesWithData()
	// The wake-up signals come next: every part gets them at
	// construction, whatever the order the parts are built in.
	s.wake = wake.New(withData...)
	s.store = store.New(s.rdb, cfg.StoreOptions())
	s.carriers, err = carrier.New(carrier.Options{
		Config: cfg.Carriers, Portability: s.store, Metrics: s.metrics, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("carriers: %w", err)
	}
	s.closers = append(s.closers, s.carriers.Close)
	s.maintain, err = maintain.New(maintain.Config{
		Store: s.store, Wake: s.wake, Channels: withData, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	if cfg.Simulator.Embedded {
		if err := s.startSimulator(); err != nil {
			return nil, err
		}
		if addr := cfg.Simulator.WebhookReceiver; addr != "" {
			secrets := func() []string { return webhookSecrets(s.reg.Snapshot()) }
			d, err := startDemoReceiver(addr, secrets, log.With().Str("component", "demo-receiver").Logger())
			if err != nil {
				return nil, fmt.Errorf("simulator.webhook_receiver: %w", err)
			}
			s.closers = append(s.closers, d.close)
			log.Info().Str("addr", d.ln.Addr().String()).Msg("demo webhook receiver listening (GET /webhooks)")
		}
	}
	if cfg.Webhook.AllowPrivateNetworks && !cfg.Simulator.Embedded {
		log.Warn().Msg("webhook.allow_private_networks is true: webhooks may reach loopback, private and cloud metadata addresses; set it only when receivers are on a private network you trust")
	}
	if err := s.buildSenders(snap); err != nil {
		return nil, err
	}
	s.metrics.RegisterQueueDepth(s.wake.Channels, func(ctx context.Context, channel string) (map[string]int64, error) {
		q, err := s.store.QueueDepth(ctx, channel)
		if err != nil {
			return nil, err
		}
		return map[string]int64{
			"pending": q.Pending, "scheduled": q.Scheduled, "leased": q.Leased,
			"awaiting_report": q.AwaitingReports, "events_ready": q.EventsReady,
			"events_scheduled": q.EventsScheduled, "events_leased": q.EventsLeased, "events_dead": q.EventsDead,
		}, nil
	})
	whCfg := cfg.WebhookConfig()
	whCfg.Channels, whCfg.BatchSize = withData, webhookLeaseSize(snap)
	whCfg.Store, whCfg.Tenants, whCfg.Wake = s.store, webhook.RegistryTenants{Snapshot: s.reg.Snapshot}, s.wake
	whCfg.Version, whCfg.Metrics = s.version, s.metrics
	whCfg.Logger = log // the dispatcher adds component=webhook
	s.webhooks = webhook.New(whCfg)
	// Channels the failover monitor (built with the senders) finds failed
	// over are skipped by the routing.
	s.router = routing.New(routing.Deps{Snapshot: s.reg.Snapshot, Carriers: s.carriers.Carriers, Down: s.health.Down})
	s.api = api.New(api.Deps{
		Store:     s.store,
		Registry:  s.reg,
		Config:    cfg,
		Metrics:   s.metrics,
		Logger:    log.With().Str("component", "api").Logger(),
		Canceller: cancelAdapter{s.senders},
		Readiness: s.senders,
		Failover:  s.health,
		Wake:      s.wake,
		Router:    s.router,
	})
	s.ln, err = net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("http.addr: %w", err)
	}
	s.http = &http.Server{
		Handler:           s.api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// Last: nothing after it can fail, and a failure here closes the HTTP
	// listener, so no listener outlives a failed New.
	if cfg.CMPPServer.Enabled() {
		s.cmpp, err = cmppserver.New(cfg.CMPPServer, cmppserver.Deps{
			Store: s.store, Registry: s.reg, Metrics: s.metrics,
			Logger:    log,     // the server adds component=cmppserver
			ReplicaID: s.owner, // unique per process (buildSenders)
			Wake:      s.wake,  // stored SUBMITs start their channel's sender at once
			Router:    s.router,
		})
		if err != nil {
			_ = s.ln.Close()
			return nil, fmt.Errorf("cmpp_server: %w", err)
		}
	}
	return s, nil
}

// openRedis connects to the configured Redis, or starts the embedded
// in-memory store when redis.addr is empty.
func (s *Gateway) openRedis() error {
	rc := s.cfg.Redis
	if rc.Addr == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("embedded store: %w", err)
		}
		s.closers = append(s.closers, mr.Close)
		s.log.Warn().Msg("redis.addr is empty: using the EMBEDDED IN-MEMORY store; NOTHING IS PERSISTED and a restart loses every queued message. Set redis.addr (SMSBRIDGE_REDIS_ADDR) for real use.")
		s.rdb = redis.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: rc.PoolSize})
	} else {
		rdb, err := store.NewClient(store.RedisConfig{
			Addrs:      splitList(rc.Addr),
			MasterName: rc.MasterName,
			Cluster:    rc.Cluster,
			Username:   rc.Username,
			Password:   rc.Password,
			DB:         rc.DB,
			PoolSize:   rc.PoolSize,
			Timeout:    rc.Timeout.D(),
		})
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		s.rdb = rdb
	}
	s.closers = append(s.closers, func() { _ = s.rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis %s: %w", rc.Addr, err)
	}
	return nil
}

// openRegistry builds the account registry over Redis and imports the
// configuration's tenants and channels (managed by config).
func (s *Gateway) openRegistry() error {
	reg, err := registry.New(s.rdb, registry.Options{
		Prefix:                s.cfg.Redis.Prefix,
		AllowPrivateNetworks:  s.cfg.Webhook.AllowPrivateNetworks,
		AllowEmptyChannelAddr: s.cfg.Simulator.Embedded,
		SecretOverlap:         s.cfg.Webhook.SecretOverlap.D(),
		Logger:                s.log,
	})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.cfg.Redis.Timeout.D())
	defer cancel()
	if err := reg.Import(ctx, s.cfg.Tenants, s.cfg.Channels); err != nil {
		return fmt.Errorf("registry: import the configured accounts: %w", err)
	}
	s.reg = reg
	return nil
}

// startSimulator runs the ISMG simulator in-process (demo mode). Channels
// without addr — configured, or added at runtime — are pointed at it, each
// with an account of its own (see channelSettings).
func (s *Gateway) startSimulator() error {
	sim, err := ismgsim.NewServer(ismgsim.Config{
		ReportDelay: s.cfg.Simulator.ReportDelay.D(),
		Logger:      s.log.With().Str("component", "simulator").Logger().Level(zerolog.WarnLevel),
	})
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	s.closers = append(s.closers, func() { _ = sim.Close() })
	s.sim = sim
	s.log.Info().Str("addr", sim.Addr()).Msg("embedded ISMG simulator started (demo mode)")
	return nil
}

// buildSenders builds the sender of every channel of snap that is not
// deleted; the reconciler keeps them current from then on. A stored
// channel the sender refuses (e.g. one without addr, created while the
// embedded simulator was on) is logged and left out, as the reconciler
// does: one bad record must not stop every replica from starting. It has
// no links (GET /readyz shows it not ready) until its settings change.
func (s *Gateway) buildSenders(snap *registry.Snapshot) error {
	host, _ := os.Hostname()
	s.owner = host + "-" + uuid.NewString()[:8]
	if err := s.newHealth(); err != nil {
		return err
	}
	s.healthRules(snap)
	running, refused := map[string]sender.Settings{}, map[string]sender.Settings{}
	var chans []*sender.Channel
	for _, ch := range snap.Channels() {
		c, set, err := s.newChannel(ch)
		if err != nil {
			refused[ch.Name] = set
			s.log.Error().Err(err).Str("channel", ch.Name).Int64("registry_version", snap.Version).
				Msg("channel settings refused: the channel is not started")
			continue
		}
		chans = append(chans, c)
		running[ch.Name] = set
	}
	s.reconcile = newReconciler(s, running, refused, snap.ChannelNamesWithData())
	var err error
	s.senders, err = sender.NewService(chans...)
	return err
}

// Carriers returns the resolver of recipients' carriers (number range,
// carriers.ranges, portability, lookup hook) that routing uses.
func (s *Gateway) Carriers() *carrier.Resolver { return s.carriers }

// Registry returns the account registry the gateway runs on.
func (s *Gateway) Registry() *registry.Registry { return s.reg }

// Addr is the HTTP listen address actually bound.
func (s *Gateway) Addr() string { return s.ln.Addr().String() }

// CMPPAddr is the CMPP server's listen address actually bound, "" when
// the server is off (cmpp_server.addr empty).
func (s *Gateway) CMPPAddr() string {
	if s.cmpp == nil {
		return ""
	}
	return s.cmpp.Addr().String()
}

// Run serves until ctx is cancelled, then drains in order, within
// shutdown_timeout: stop following registry changes and start no channel
// any more (channels stopped or replaced before go on draining), stop
// accepting HTTP (requests in progress finish: a
// DELETE may still need the links), stop the CMPP server (no new logins;
// SUBMITs in hand stored and answered, links TERMINATEd, leased DELIVERs
// returned to their queues), stop the senders (in-flight SUBMITs
// answered and stored, links TERMINATEd; what the budget leaves unanswered
// returns through its lease), then stop the webhook dispatcher (events the
// senders stored while draining are its last work; POSTs in flight get the
// dispatcher's stop grace). It returns only when every part has stopped,
// so nothing still uses Redis or the links when they are closed.
func (s *Gateway) Run(ctx context.Context) error {
	defer s.close()
	sendCtx, stopSenders := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSenders()
	hookCtx, stopWebhooks := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWebhooks()
	// The registry keeps the snapshot current until every part has
	// stopped.
	regCtx, stopRegistry := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRegistry()
	// The reconciler follows the registry until the shutdown begins; the
	// channels it stopped or replaced go on draining within the shutdown
	// budget (drainCtx ends with it).
	recCtx, stopReconciler := context.WithCancel(context.WithoutCancel(ctx))
	defer stopReconciler()
	drainCtx, endDrains := context.WithCancel(context.WithoutCancel(ctx))
	defer endDrains()
	registryDone, reconcilerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(registryDone)
		if err := s.reg.Run(regCtx); err != nil && regCtx.Err() == nil {
			s.log.Error().Err(err).Msg("registry stopped: account changes no longer apply on this replica")
		}
	}()
	sendersDone, webhooksDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(sendersDone); _ = s.senders.Run(sendCtx) }()
	healthDone := make(chan struct{})
	go func() { defer close(healthDone); s.health.Run(sendCtx) }()
	go func() { defer close(reconcilerDone); s.reconcile.run(recCtx, drainCtx) }()
	go func() { defer close(webhooksDone); _ = s.webhooks.Run(hookCtx) }()
	// The maintainer stops with the webhooks: until then, what it
	// recovers or sweeps still has a consumer here.
	maintainDone := make(chan struct{})
	go func() { defer close(maintainDone); _ = s.maintain.Run(hookCtx) }()

	httpErr := make(chan error, 1)
	go func() { httpErr <- s.http.Serve(s.ln) }()
	s.log.Info().Str("addr", s.Addr()).Str("version", s.version).Msg("smsbridge listening")
	cmppCtx, stopCMPP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCMPP()
	cmppDone, cmppErr := s.runCMPP(cmppCtx)

	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info().Msg("shutting down: draining")
	case err := <-httpErr:
		runErr = fmt.Errorf("http: %w", err)
	case err := <-cmppErr:
		runErr = fmt.Errorf("cmpp_server: %w", err)
	}
	// The shutdown begins: registry changes no longer apply here, and no
	// channel starts any more (one waiting for the drain of the channel it
	// replaces never does). Drains in progress go on.
	stopReconciler()
	s.senders.BeginShutdown()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout.D())
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Warn().Err(err).Msg("http shutdown")
	}
	// The CMPP server stops before the senders: what its customers
	// submitted is stored, and the senders still run while it drains.
	stopCMPP()
	select {
	case <-cmppDone:
	case <-shutdownCtx.Done():
		s.log.Warn().Msg("cmpp server drain timed out; stopping the senders (it is waited for before Redis closes)")
	}
	stopSenders()
	select {
	case <-sendersDone:
	case <-shutdownCtx.Done():
		s.log.Warn().Msg("drain timed out; SUBMITs still unanswered return to the queue when their lease expires")
		endDrains()
		s.senders.EndDrain()
		<-sendersDone // prompt once the drain is ended
	}
	<-reconcilerDone // the senders' end includes the channels it was draining
	<-healthDone     // ends with the senders' context
	stopWebhooks()
	<-webhooksDone // bounded by the dispatcher's stop grace
	<-maintainDone // a pass in progress ends with its context
	<-cmppDone     // it uses Redis and the registry until it returns
	stopRegistry()
	<-registryDone
	s.log.Info().Msg("drained")
	return runErr
}

func (s *Gateway) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// checkDemoKey refuses the documented demo key outside demo mode on
// loopback.
func checkDemoKey(cfg *config.Config) error {
	sum := sha256.Sum256([]byte(DemoAPIKey))
	demo := hex.EncodeToString(sum[:])
	for i, t := range cfg.Tenants {
		if !strings.EqualFold(t.KeySHA256, demo) {
			continue
		}
		host, _, _ := net.SplitHostPort(cfg.HTTP.Addr)
		ip := net.ParseIP(host)
		loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
		if !loopback || !cfg.Simulator.Embedded {
			return fmt.Errorf("tenants[%d].key_sha256: the demo key %q is only allowed in demo mode (simulator.embedded) on a loopback http.addr; set a real key with `smsbridge hash-key`", i, DemoAPIKey)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// cancelAdapter lets the sender answer the API's cancel calls.
type cancelAdapter struct{ s *sender.Service }

// CancelSubmitted implements api.Canceller.
func (a cancelAdapter) CancelSubmitted(ctx context.Context, channel string, msgIDs []string) ([]api.CancelOutcome, error) {
	res, err := a.s.Cancel(ctx, channel, msgIDs)
	if err != nil {
		return nil, err
	}
	out := make([]api.CancelOutcome, len(res))
	for i, r := range res {
		out[i] = api.CancelOutcome{MsgID: r.MsgID, Success: r.Cancelled, Err: r.Err}
	}
	return out, nil
}
