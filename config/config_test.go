package config

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

const sample = `
http:
  addr: 127.0.0.1:9000
redis:
  addr: 127.0.0.1:6379
channels:
  - name: default
    addr: 127.0.0.1:7890
    sp_id: "900001"
    secret: s3cret
    src_id: "1065800001"
tenants:
  - name: acme
    key_sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
    webhook_secret: 0123456789abcdef
    channels: [default]
`

func TestParseAppliesDefaults(t *testing.T) {
	cfg, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := cfg.Channels[0]
	if ch.Version != "3.0" || ch.Links != 2 || ch.Window != 16 || ch.Transmissions != 3 ||
		ch.ResponseTimeout.D() != 60*time.Second || ch.MsgSrc != "900001" || *ch.FeeUserType != 2 ||
		ch.FlushDelay.D() != 500*time.Microsecond {
		t.Fatalf("channel defaults not applied: %+v", ch)
	}
	if cfg.Redis.Timeout.D() != 3*time.Second {
		t.Fatalf("redis.timeout default %v, want 3s", cfg.Redis.Timeout.D())
	}
	if cfg.HTTP.Addr != "127.0.0.1:9000" || cfg.HTTP.MaxBodyBytes != 1<<20 || cfg.Queue.ReportWait.D() != 48*time.Hour ||
		cfg.Queue.MaxRecoveries != 5 {
		t.Fatalf("defaults/file mix wrong: %+v", cfg.HTTP)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := []string{
		"SMSBRIDGE_REDIS_ADDR=10.1.2.3:6380",
		"SMSBRIDGE_HTTP_MAX_BODY_BYTES=4096",
		"SMSBRIDGE_CHANNELS_0_SECRET=fromenv",
		"SMSBRIDGE_CHANNELS_0_RESPONSE_TIMEOUT=5s",
		"SMSBRIDGE_CHANNELS_0_FEE_USER_TYPE=0",
		"SMSBRIDGE_CHANNELS_0_FLUSH_DELAY=-1ms",
		"SMSBRIDGE_TENANTS_0_CHANNELS=default",
		"SMSBRIDGE_SIMULATOR_EMBEDDED=true",
		"PATH=/usr/bin",
	}
	cfg, err := Parse([]byte(sample), env)
	if err != nil {
		t.Fatal(err)
	}
	ch := cfg.Channels[0]
	if cfg.Redis.Addr != "10.1.2.3:6380" || cfg.HTTP.MaxBodyBytes != 4096 || ch.Secret != "fromenv" ||
		ch.ResponseTimeout.D() != 5*time.Second || *ch.FeeUserType != 0 || !cfg.Simulator.Embedded ||
		ch.FlushDelay.D() != -time.Millisecond {
		t.Fatalf("overrides not applied: %+v %+v", cfg.Redis, ch)
	}
}

// An int inside a list item (tenants[0].webhook_batch_max) is set by the
// key-path rule like any other, from the file or the environment.
func TestTenantWebhookBatchMax(t *testing.T) {
	cfg, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Tenants[0].WebhookBatchMax; got != 0 {
		t.Fatalf("default webhook_batch_max %d, want 0 (one event per POST)", got)
	}
	fromFile := strings.Replace(sample, "channels: [default]\n", "channels: [default]\n    webhook_batch_max: 20\n", 1)
	cfg, err = Parse([]byte(fromFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Tenants[0].WebhookBatchMax; got != 20 {
		t.Fatalf("webhook_batch_max from the file: %d, want 20", got)
	}
	cfg, err = Parse([]byte(fromFile), []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_BATCH_MAX=100"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Tenants[0].WebhookBatchMax; got != 100 {
		t.Fatalf("webhook_batch_max from the environment: %d, want 100", got)
	}
}

func TestEnvAppendsListItem(t *testing.T) {
	env := []string{
		"SMSBRIDGE_CHANNELS_1_NAME=backup",
		"SMSBRIDGE_CHANNELS_1_ADDR=127.0.0.1:7891",
		"SMSBRIDGE_CHANNELS_1_SP_ID=900002",
		"SMSBRIDGE_CHANNELS_1_SRC_ID=1065800002",
		"SMSBRIDGE_CHANNELS_1_SECRET=s3cret",
	}
	cfg, err := Parse([]byte(sample), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Channels) != 2 || cfg.Channels[1].Name != "backup" || cfg.Channels[1].Window != 16 {
		t.Fatalf("appended channel wrong: %+v", cfg.Channels)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"unknown key", sample + "bogus: 1\n", nil, "bogus: unknown key (line 17)"},
		{"bad env name", sample, []string{"SMSBRIDGE_REDIS_ADRR=x"}, "SMSBRIDGE_REDIS_ADRR names no setting"},
		{"bad env value", sample, []string{"SMSBRIDGE_CHANNELS_0_WINDOW=lots"}, "SMSBRIDGE_CHANNELS_0_WINDOW"},
		{"sp_id too long", sample, []string{"SMSBRIDGE_CHANNELS_0_SP_ID=1234567"}, "channels[0].sp_id"},
		{"bad version", sample, []string{"SMSBRIDGE_CHANNELS_0_VERSION=4.0"}, "channels[0].version"},
		{"bad duration", strings.Replace(sample, "secret: s3cret", "secret: s3cret\n    response_timeout: soon", 1), nil, "channels[0].response_timeout: cannot unmarshal `soon` into a duration"},
		{"bad key hash", sample, []string{"SMSBRIDGE_TENANTS_0_KEY_SHA256=abc"}, "tenants[0].key_sha256"},
		{"unknown channel", sample, []string{"SMSBRIDGE_TENANTS_0_CHANNELS=nope"}, `tenants[0].channels: unknown channel "nope"`},
		{"flush delay too long", sample, []string{"SMSBRIDGE_CHANNELS_0_FLUSH_DELAY=1s"}, "channels[0].flush_delay: must be at most 100ms"},
		{"redis timeout", sample, []string{"SMSBRIDGE_REDIS_TIMEOUT=0s"}, "redis.timeout: must be positive"},
		{"log level", sample, []string{"SMSBRIDGE_LOG_LEVEL=loud"}, "log.level"},
		{"batch too big", sample, []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_BATCH_MAX=129"}, "tenants[0].webhook_batch_max: must be 0..128"},
		{"batch negative", sample, []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_BATCH_MAX=-1"}, "tenants[0].webhook_batch_max: must be 0..128"},
		{"max recoveries zero", sample, []string{"SMSBRIDGE_QUEUE_MAX_RECOVERIES=0"}, "queue.max_recoveries: must be at least 1"},
		{"usage retention zero", sample, []string{"SMSBRIDGE_QUEUE_USAGE_RETENTION=0s"}, "queue.usage_retention: must be positive"},
		{"batch not a number", sample, []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_BATCH_MAX=many"}, "SMSBRIDGE_TENANTS_0_WEBHOOK_BATCH_MAX"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// queue.usage_retention reaches the store, which keeps the usage counters.
func TestUsageRetentionReachesStore(t *testing.T) {
	cfg, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.StoreOptions().UsageRetention; got != store.DefaultUsageRetention {
		t.Errorf("default usage retention %v, want %v", got, store.DefaultUsageRetention)
	}
	cfg, err = Parse([]byte(sample), []string{"SMSBRIDGE_QUEUE_USAGE_RETENTION=48h"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.StoreOptions().UsageRetention; got != 48*time.Hour {
		t.Errorf("usage retention %v, want 48h", got)
	}
}
