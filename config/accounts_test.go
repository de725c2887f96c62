package config

import (
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Accounts can come from the admin API: a file with no channel and no
// tenant is valid.
func TestNoAccountsInTheFile(t *testing.T) {
	cfg, err := Parse([]byte("http:\n  addr: 127.0.0.1:9000\n"), nil)
	if err != nil {
		t.Fatalf("a file without channels and tenants: %v", err)
	}
	if len(cfg.Channels) != 0 || len(cfg.Tenants) != 0 {
		t.Fatalf("channels %d, tenants %d: want none", len(cfg.Channels), len(cfg.Tenants))
	}
}

// The new tenant keys are read from the file and the environment, and
// the registry's defaults and checks apply with the key path.
func TestTenantLimitsZoneWeight(t *testing.T) {
	cfg, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	tn := cfg.Tenants[0]
	if tn.Weight != store.DefaultWeight || tn.TimeZone != registry.DefaultTimeZone || tn.Disabled || tn.Limits != (registry.Limits{}) {
		t.Fatalf("tenant defaults: weight %d, zone %q, disabled %v, limits %+v", tn.Weight, tn.TimeZone, tn.Disabled, tn.Limits)
	}
	withKeys := strings.Replace(sample, "channels: [default]\n",
		"channels: [default]\n    limits: {max_requests_per_sec: 50, max_segments_per_day: 100000}\n    time_zone: Europe/Berlin\n    weight: 3\n    disabled: true\n", 1)
	cfg, err = Parse([]byte(withKeys), nil)
	if err != nil {
		t.Fatal(err)
	}
	tn = cfg.Tenants[0]
	if tn.Limits.MaxRequestsPerSec != 50 || tn.Limits.MaxSegmentsPerDay != 100000 || tn.TimeZone != "Europe/Berlin" || tn.Weight != 3 || !tn.Disabled {
		t.Fatalf("tenant keys from the file: %+v", tn)
	}
	// An explicit weight: 0 is a mistake, not the default.
	expectParse(t, "weight 0 in the file", strings.Replace(sample, "channels: [default]\n", "channels: [default]\n    weight: 0\n", 1), nil,
		"tenants[0].weight: must be 1..100, not 0")
	cfg, err = Parse([]byte(sample), []string{"SMSBRIDGE_TENANTS_0_LIMITS_MAX_REQUESTS_PER_SEC=7", "SMSBRIDGE_TENANTS_0_WEIGHT=5"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tenants[0].Limits.MaxRequestsPerSec != 7 || cfg.Tenants[0].Weight != 5 {
		t.Fatalf("tenant keys from the environment: %+v", cfg.Tenants[0])
	}
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"negative rate", []string{"SMSBRIDGE_TENANTS_0_LIMITS_MAX_REQUESTS_PER_SEC=-1"}, "tenants[0].limits.max_requests_per_sec: must not be negative"},
		{"negative quota", []string{"SMSBRIDGE_TENANTS_0_LIMITS_MAX_SEGMENTS_PER_DAY=-1"}, "tenants[0].limits.max_segments_per_day: must not be negative"},
		{"bad zone", []string{"SMSBRIDGE_TENANTS_0_TIME_ZONE=Mars/Olympus"}, `tenants[0].time_zone: unknown IANA time zone "Mars/Olympus"`},
		{"weight too big", []string{"SMSBRIDGE_TENANTS_0_WEIGHT=101"}, "tenants[0].weight: must be 1..100"},
		{"weight 0 in the environment", []string{"SMSBRIDGE_TENANTS_0_WEIGHT=0"}, "tenants[0].weight: must be 1..100, not 0"},
		{"key required", []string{"SMSBRIDGE_TENANTS_0_KEY_SHA256="}, "tenants[0].key_sha256: must be 64 hex digits"},
		{"no channels", []string{"SMSBRIDGE_TENANTS_0_CHANNELS="}, "tenants[0].channels: at least one channel"},
		{"two defaults", []string{"SMSBRIDGE_TENANTS_0_DEFAULT=true", "SMSBRIDGE_TENANTS_1_NAME=beta", "SMSBRIDGE_TENANTS_1_DEFAULT=true",
			"SMSBRIDGE_TENANTS_1_KEY_SHA256=" + otherHash, "SMSBRIDGE_TENANTS_1_WEBHOOK_SECRET=fedcba9876543210", "SMSBRIDGE_TENANTS_1_CHANNELS=default"},
			"tenants: at most one tenant may be the default"},
		{"duplicate channel", []string{"SMSBRIDGE_CHANNELS_1_NAME=default", "SMSBRIDGE_CHANNELS_1_ADDR=127.0.0.1:7891", "SMSBRIDGE_CHANNELS_1_SP_ID=900002",
			"SMSBRIDGE_CHANNELS_1_SRC_ID=1065800002", "SMSBRIDGE_CHANNELS_1_SECRET=x"}, `channels[1].name: duplicate channel "default" (channels[0])`},
	} {
		expectParse(t, tc.name, sample, tc.env, tc.want)
	}
}

// A tenant of the file must name channels of the file, even when there
// are none.
func TestTenantNamesChannelsOfTheFile(t *testing.T) {
	onlyTenant := sample[strings.Index(sample, "tenants:"):]
	expectParse(t, "tenant without channels in the file", onlyTenant, nil, `tenants[0].channels: unknown channel "default"`)
}
