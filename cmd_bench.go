package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/smsbridge/smsbridge/internal/loadgen"
)

// benchCommand runs the end-to-end load tool (see internal/loadgen)
// against a running service, or with -spawn against a local service and
// simulator it starts itself.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench")
	var cfg loadgen.Config
	fs.StringVar(&cfg.URL, "url", loadgen.DefaultURL, "API base URL of the service")
	fs.StringVar(&cfg.Key, "key", loadgen.DefaultKey, "API key (Bearer)")
	fs.Float64Var(&cfg.Rate, "rate", loadgen.DefaultRate, "target POST /sms requests per second (open loop)")
	fs.IntVar(&cfg.Concurrency, "concurrency", loadgen.DefaultConcurrency, "most HTTP requests in flight")
	fs.DurationVar(&cfg.Duration, "duration", loadgen.DefaultDuration, "length of the send phase")
	fs.IntVar(&cfg.Recipients, "recipients", 1, "recipients per request (1..1000)")
	fs.StringVar(&cfg.Content, "content", "", "text to send (default: generated ASCII of -segments segments)")
	fs.IntVar(&cfg.Segments, "segments", 1, "segments of the generated text when -content is empty")
	fs.StringVar(&cfg.ReceiverAddr, "receiver", loadgen.DefaultReceiverAddr, "listen address of the tool's webhook receiver (callback_url of every request)")
	fs.StringVar(&cfg.CallbackURL, "callback-url", "", "callback_url to send instead of the receiver's own URL (when the service reaches it through another address)")
	fs.StringVar(&cfg.WebhookSecret, "webhook-secret", "", "verify X-Smsbridge-Signature with this secret (default: no check)")
	fs.DurationVar(&cfg.Drain, "drain", loadgen.DefaultDrain, "longest wait for outstanding webhooks after the send phase")
	fs.StringVar(&cfg.MetricsURL, "metrics-url", "", `Prometheus page of the service (default <url>/metrics; "off" = no service figures)`)
	fs.DurationVar(&cfg.RequestTimeout, "timeout", loadgen.DefaultRequestTimeout, "bound of one POST /sms")
	jsonPath := fs.String("json", "", "also write the report as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")

	var sp loadgen.SpawnConfig
	spawn := fs.Bool("spawn", false, "start the simulator and the service (smsbridge simulator / serve, this binary) with generated configs against a real Redis, bench them, stop them and delete their keys")
	fs.StringVar(&sp.RedisAddr, "redis", "", "-spawn: Redis address (default $REDIS_ADDR, else 127.0.0.1:6379)")
	fs.IntVar(&sp.Links, "links", 4, "-spawn: CMPP links of the channel")
	fs.IntVar(&sp.Window, "window", 16, "-spawn: window per link")
	fs.DurationVar(&sp.ReportDelay, "report-delay", 10*time.Millisecond, "-spawn: simulator delay before each status report")
	fs.DurationVar(&sp.SimFlushDelay, "sim-flush-delay", 500*time.Microsecond, "-spawn: simulator flush_delay (holds its status report DELIVERs this long so more share a socket write; responses are never held; 0 = at once)")
	fs.IntVar(&sp.WebhookPerHost, "webhook-per-host", 0, "-spawn: service webhook.per_host_concurrency (default: the service default)")
	fs.IntVar(&sp.WebhookBatch, "webhook-batch", 0, "-spawn: the bench tenant's webhook_batch_max: up to N events per webhook POST, as a JSON array (default: one event per POST)")
	fs.StringVar(&sp.CPUProfile, "cpuprofile", "", "-spawn: the service writes a CPU profile (runtime/pprof) to this file")
	fs.StringVar(&sp.LogLevel, "service-log", "warn", "-spawn: service log level")
	fs.BoolVar(&sp.KeepDir, "keep", false, "-spawn: keep the generated configs and child logs")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if sp.CPUProfile != "" && !*spawn {
		return fmt.Errorf("bench: -cpuprofile needs -spawn (run `smsbridge serve -cpuprofile FILE` yourself otherwise)")
	}

	if sp.WebhookBatch != 0 && !*spawn {
		return fmt.Errorf("bench: -webhook-batch needs -spawn (set tenants[].webhook_batch_max in the service's configuration otherwise)")
	}

	if *spawn {
		if sp.RedisAddr == "" {
			sp.RedisAddr = os.Getenv("REDIS_ADDR")
		}
		if sp.RedisAddr == "" {
			sp.RedisAddr = "127.0.0.1:6379"
		}
		fmt.Fprintf(stderr, "bench: starting simulator and service (redis %s, %d links × window %d)\n", sp.RedisAddr, sp.Links, sp.Window)
		s, err := loadgen.Spawn(ctx, sp)
		if err != nil {
			return err
		}
		defer func() {
			if err := s.Close(); err != nil {
				fmt.Fprintf(stderr, "bench: stopping the spawned processes: %v\n", err)
			}
		}()
		fmt.Fprintf(stderr, "bench: service ready at %s (redis prefix %s, files in %s)\n", s.URL, s.Prefix, s.Dir)
		cfg.URL, cfg.Key, cfg.WebhookSecret, cfg.MetricsURL = s.URL, s.Key, s.WebhookSecret, ""
		cfg.CPUProbes, cfg.WebhookBatchMax = s.CPUProbes(), sp.WebhookBatch
	}

	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := writeReport(stdout, rep, *jsonPath, "bench"); err != nil {
		return err
	}
	if rep.Lost > 0 {
		fmt.Fprintf(stderr, "bench: %d accepted recipients got no webhook within -drain %v\n", rep.Lost, cfg.Drain)
	}
	return nil
}
