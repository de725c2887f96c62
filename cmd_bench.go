package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/internal/loadgen"
)

// benchCommand runs the end-to-end load tool (see internal/loadgen)
// against a running service, or with -spawn against a local service and
// simulator it starts itself.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchArgs(args, stdout, stderr)
	if err != nil || o.listed {
		return err
	}
	cfg, sp := o.cfg, o.sp
	if o.spawn {
		mode := fmt.Sprintf("%d links × window %d", sp.Links, sp.Window)
		if sp.Hold {
			mode = "channel held: segments stay queued"
		}
		fmt.Fprintf(stderr, "bench: starting simulator and service (redis %s, %s)\n", sp.RedisAddr, mode)
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

	stopProfile, err := startToolProfile(o.toolProfile)
	if err != nil {
		return err
	}
	rep, err := loadgen.Run(ctx, cfg)
	stopProfile()
	if err != nil {
		return err
	}
	if err := writeReport(stdout, rep, o.jsonPath, "bench"); err != nil {
		return err
	}
	if rep.Lost > 0 {
		fmt.Fprintf(stderr, "bench: %d accepted recipients got no webhook within -drain %v\n", rep.Lost, cfg.Drain)
	}
	return nil
}

// benchOptions is a parsed `smsbridge bench` command line.
type benchOptions struct {
	cfg      loadgen.Config
	sp       loadgen.SpawnConfig
	spawn    bool
	jsonPath string
	// toolProfile is where this process writes its own CPU profile
	// ("" = none).
	toolProfile string
	// listed is true when -preset list printed the presets: nothing to run.
	listed bool
}

// benchSpawnOnly are the flags that configure the spawned processes: a
// preset sets them only with -spawn.
var benchSpawnOnly = map[string]bool{"links": true, "window": true, "webhook-batch": true}

// parseBenchArgs parses the command line, applies the preset under the
// flags given explicitly and checks the combination.
func parseBenchArgs(args []string, stdout, stderr io.Writer) (*benchOptions, error) {
	fs := newFlagSet("bench")
	usage := fs.Usage
	fs.Usage = func() { usage(); loadgen.WritePresets(fs.Output()) }
	o := &benchOptions{}
	cfg, sp := &o.cfg, &o.sp
	preset := fs.String("preset", "", `named scenario setting defaults of the flags below, which still win when given: `+strings.Join(loadgen.PresetNames(), ", ")+` ("list" prints them)`)
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
	redisAddr := fs.String("redis", "", `Redis address: the report shows its own accounting (INFO cpu, memory, commandstats: the whole server's) per message, and with -spawn the service uses it (default $REDIS_ADDR, else 127.0.0.1:6379; "off" = no Redis figures, not with -spawn). The tool sends it nothing but INFO`)

	spawn := fs.Bool("spawn", false, "start the simulator and the service (smsbridge simulator / serve, this binary) with generated configs against a real Redis, bench them, stop them and delete their keys")
	fs.BoolVar(&sp.Hold, "hold", false, "-spawn: the channel's upstream is a closed port on purpose (no simulator): accepted segments stay queued, no webhook is awaited, and the report gives Redis used_memory per queued segment")
	fs.IntVar(&sp.Links, "links", 4, "-spawn: CMPP links of the channel")
	fs.IntVar(&sp.Window, "window", 16, "-spawn: window per link")
	fs.DurationVar(&sp.ReportDelay, "report-delay", 10*time.Millisecond, "-spawn: simulator delay before each status report")
	fs.DurationVar(&sp.SimFlushDelay, "sim-flush-delay", 500*time.Microsecond, "-spawn: simulator flush_delay (holds its status report DELIVERs this long so more share a socket write; responses are never held; 0 = at once)")
	fs.IntVar(&sp.WebhookPerHost, "webhook-per-host", 0, "-spawn: service webhook.per_host_concurrency (default: the service default)")
	fs.IntVar(&sp.WebhookBatch, "webhook-batch", 0, "-spawn: the bench tenant's webhook_batch_max: up to N events per webhook POST, as a JSON array (default: one event per POST)")
	fs.StringVar(&sp.CPUProfile, "cpuprofile", "", "-spawn: the service writes a CPU profile (runtime/pprof) to this file")
	fs.StringVar(&o.toolProfile, "tool-cpuprofile", "", "write a CPU profile (runtime/pprof) of this tool itself over the run to this file")
	fs.StringVar(&sp.LogLevel, "service-log", "warn", "-spawn: service log level")
	fs.BoolVar(&sp.KeepDir, "keep", false, "-spawn: keep the generated configs and child logs")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	o.spawn, o.jsonPath = *spawn, *jsonPath
	if *preset == "list" {
		loadgen.WritePresets(stdout)
		o.listed = true
		return o, nil
	}
	if *preset != "" {
		p, ok := loadgen.LookupPreset(*preset)
		if !ok {
			return nil, fmt.Errorf("bench: -preset %q: want one of %s (or list)", *preset, strings.Join(loadgen.PresetNames(), ", "))
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, f := range p.Flags {
			if set[f.Name] || (benchSpawnOnly[f.Name] && !o.spawn) {
				continue
			}
			if err := fs.Set(f.Name, f.Value); err != nil {
				return nil, fmt.Errorf("bench: preset %s: -%s %s: %w", p.Name, f.Name, f.Value, err)
			}
		}
		cfg.Preset = p.Name
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if sp.CPUProfile != "" && !o.spawn {
		return nil, fmt.Errorf("bench: -cpuprofile needs -spawn (run `smsbridge serve -cpuprofile FILE` yourself otherwise)")
	}
	if sp.WebhookBatch != 0 && !o.spawn {
		return nil, fmt.Errorf("bench: -webhook-batch needs -spawn (set tenants[].webhook_batch_max in the service's configuration otherwise)")
	}
	if sp.Hold && !o.spawn {
		return nil, fmt.Errorf("bench: -hold needs -spawn")
	}
	cfg.Hold = sp.Hold
	addr := cmp.Or(*redisAddr, os.Getenv("REDIS_ADDR"), "127.0.0.1:6379")
	if addr == loadgen.MetricsOff {
		if o.spawn {
			return nil, fmt.Errorf("bench: -redis off: -spawn needs a Redis (give its address)")
		}
		addr = ""
	}
	cfg.RedisAddr, sp.RedisAddr = addr, addr
	return o, nil
}
