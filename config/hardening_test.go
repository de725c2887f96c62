package config

import (
	"strings"
	"testing"
)

// parseErr runs Parse and returns its error text ("" on success).
func parseErr(t *testing.T, yaml string, env ...string) string {
	t.Helper()
	_, err := Parse([]byte(yaml), env)
	if err == nil {
		return ""
	}
	return err.Error()
}

// expectParse checks that Parse fails naming want, or succeeds when want
// is "".
func expectParse(t *testing.T, name, yaml string, env []string, want string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		got := parseErr(t, yaml, env...)
		switch {
		case want == "" && got != "":
			t.Fatalf("error %q, want none", got)
		case want != "" && !strings.Contains(got, want):
			t.Fatalf("error %q, want it to contain %q", got, want)
		}
	})
}

// withTenant2 appends a second tenant to sample.
func withTenant2(name, hash string) string {
	return sample + "  - {name: " + name + ", key_sha256: " + hash + ", webhook_secret: fedcba9876543210, channels: [default]}\n"
}

const otherHash = "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"

// Item 3: secrets must be guessable by no one, and identities unique.
func TestSecretsAndIdentities(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"webhook secret empty", sample, []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_SECRET="}, "tenants[0].webhook_secret: required, at least 16 bytes"},
		{"webhook secret 15 bytes", sample, []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_SECRET=0123456789abcde"}, "tenants[0].webhook_secret"},
		{"webhook secret 16 bytes", sample, []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_SECRET=0123456789abcdef"}, ""},
		{"channel secret empty", sample, []string{"SMSBRIDGE_CHANNELS_0_SECRET="}, "channels[0].secret: required"},
		{"admin key short", sample, []string{"SMSBRIDGE_HTTP_ADMIN_KEY=admin"}, "http.admin_key: must be at least 16 bytes"},
		{"admin key 16 bytes", sample, []string{"SMSBRIDGE_HTTP_ADMIN_KEY=0123456789abcdef"}, ""},
		{"admin key unset", sample, []string{"SMSBRIDGE_HTTP_ADMIN_KEY="}, ""},
		{"second tenant", withTenant2("beta", otherHash), nil, ""},
		{"duplicate tenant name", withTenant2("acme", otherHash), nil, `tenants[1].name: duplicate tenant "acme" (tenants[0])`},
		{"duplicate key hash", withTenant2("beta", strings.ToUpper("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")), nil,
			"tenants[1].key_sha256: the same API key as tenants[0]"},
		{"tenant name upper case", sample, []string{"SMSBRIDGE_TENANTS_0_NAME=Acme"}, `tenants[0].name: must be 1-32 characters`},
		{"tenant name empty", sample, []string{"SMSBRIDGE_TENANTS_0_NAME="}, `tenants[0].name: must be 1-32 characters`},
		{"tenant name with colon", sample, []string{"SMSBRIDGE_TENANTS_0_NAME=a:b"}, `tenants[0].name`},
		{"tenant name 33 chars", sample, []string{"SMSBRIDGE_TENANTS_0_NAME=" + strings.Repeat("a", 33)}, `tenants[0].name`},
		{"tenant name 32 chars", sample, []string{"SMSBRIDGE_TENANTS_0_NAME=" + strings.Repeat("a", 32)}, ""},
		{"tenant name dash first", sample, []string{"SMSBRIDGE_TENANTS_0_NAME=-a"}, `tenants[0].name`},
		{"tenant name unicode", sample, []string{"SMSBRIDGE_TENANTS_0_NAME=客户"}, `tenants[0].name`},
		{"channel name brace", sample, []string{"SMSBRIDGE_CHANNELS_0_NAME={x}", "SMSBRIDGE_TENANTS_0_CHANNELS={x}"}, `channels[0].name: must be 1-32 characters`},
		{"channel name space", sample, []string{"SMSBRIDGE_CHANNELS_0_NAME=a b"}, `channels[0].name`},
		{"names with digits, _ and -", sample, []string{"SMSBRIDGE_CHANNELS_0_NAME=cmcc-2_a", "SMSBRIDGE_TENANTS_0_CHANNELS=cmcc-2_a", "SMSBRIDGE_TENANTS_0_NAME=9shop_x-1"}, ""},
	} {
		expectParse(t, tc.name, tc.yaml, tc.env, tc.want)
	}
}

// Item 3: type errors name the key path, from the file (block and flow
// style) and from the environment, not just "line 18: cannot unmarshal".
func TestTypeErrorsNameTheKeyPath(t *testing.T) {
	flow := `
channels:
  - {name: default, addr: "127.0.0.1:7890", sp_id: "900001", secret: s3cret, src_id: "1065800001", window: lots, links: 2}
tenants:
  - {name: acme, key_sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae, webhook_secret: 0123456789abcdef, channels: [default]}
`
	for _, tc := range []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"int in a list item", strings.Replace(sample, "secret: s3cret", "secret: s3cret\n    window: lots", 1), nil,
			"channels[0].window: cannot unmarshal !!str `lots` into int (line 11)"},
		{"int in flow style", flow, nil, "channels[0].window: cannot unmarshal !!str `lots` into int (line 3)"},
		{"long value", strings.Replace(sample, "addr: 127.0.0.1:9000", "addr: 127.0.0.1:9000\n  max_body_bytes: twelvethousand", 1), nil,
			"http.max_body_bytes: cannot unmarshal !!str `twelvet...` into int64 (line 4)"},
		{"bool", sample + "simulator:\n  embedded: maybe\n", nil, "simulator.embedded: cannot unmarshal !!str `maybe` into bool"},
		{"map for a string", sample + "log:\n  level: {a: 1}\n", nil, "log.level: cannot unmarshal !!map into string"},
		{"duration", sample + "webhook:\n  timeout: 10\n", nil, "webhook.timeout: cannot unmarshal `10` into a duration"},
		{"two errors", sample + "webhook:\n  timeout: soon\n  per_host_concurrency: many\n", nil, "webhook.per_host_concurrency: cannot unmarshal"},
		{"unknown nested key", strings.Replace(sample, "secret: s3cret", "secret: s3cret\n    windows: 3", 1), nil, "channels[0].windows: unknown key (line 11)"},
		{"env int", sample, []string{"SMSBRIDGE_CHANNELS_0_WINDOW=lots"}, `channels[0].window (SMSBRIDGE_CHANNELS_0_WINDOW): want an integer, not "lots"`},
		{"env duration", sample, []string{"SMSBRIDGE_QUEUE_LEASE_TTL=30"}, `queue.lease_ttl (SMSBRIDGE_QUEUE_LEASE_TTL): want a duration`},
		{"env bool", sample, []string{"SMSBRIDGE_REDIS_CLUSTER=yes please"}, `redis.cluster (SMSBRIDGE_REDIS_CLUSTER): want true or false`},
		{"env uint8", sample, []string{"SMSBRIDGE_CHANNELS_0_FEE_USER_TYPE=300"}, `channels[0].fee_user_type (SMSBRIDGE_CHANNELS_0_FEE_USER_TYPE)`},
	} {
		expectParse(t, tc.name, tc.yaml, tc.env, tc.want)
	}
	if got := parseErr(t, sample+"webhook:\n  timeout: soon\n  per_host_concurrency: many\n"); !strings.Contains(got, "webhook.timeout") {
		t.Errorf("two type errors: %q does not report the first one", got)
	}
}

// Item 3: a default applies to a key left out; 0 where 0 makes no sense
// is an error (it used to become the default silently), and negative
// values are refused by the setting's owner.
func TestExplicitZeroIsNotTheDefault(t *testing.T) {
	ch := func(kv string) string { return strings.Replace(sample, "secret: s3cret", "secret: s3cret\n    "+kv, 1) }
	for _, tc := range []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"response_timeout 0s", ch("response_timeout: 0s"), nil, "channels[0].response_timeout: must be positive"},
		{"idle_interval 0s", ch("idle_interval: 0s"), nil, "channels[0].idle_interval: must be positive"},
		{"connect_timeout 0s env", sample, []string{"SMSBRIDGE_CHANNELS_0_CONNECT_TIMEOUT=0s"}, "channels[0].connect_timeout: must be positive"},
		{"idle_interval negative", ch("idle_interval: -1s"), nil, "channels[0].idle_interval: must not be negative"},
		{"links 0", ch("links: 0"), nil, "channels[0].links: must be 1..64"},
		{"window 0 env", sample, []string{"SMSBRIDGE_CHANNELS_0_WINDOW=0"}, "channels[0].window: must be positive"},
		{"transmissions 0", ch("transmissions: 0"), nil, "channels[0].transmissions: must be at least 1"},
		{"flush_delay negative is documented", ch("flush_delay: -1ms"), nil, ""},
		{"flush_delay 0 is the documented default", ch("flush_delay: 0s"), nil, ""},
		{"shutdown_timeout 0s", sample + "shutdown_timeout: 0s\n", nil, "shutdown_timeout: must be positive"},
		{"retry_for 0s", sample + "webhook:\n  retry_for: 0s\n", nil, "webhook.retry_for: must be positive"},
		{"timeout negative", sample + "webhook:\n  timeout: -5s\n", nil, "webhook.timeout: must not be negative"},
		{"per_host 0", sample, []string{"SMSBRIDGE_WEBHOOK_PER_HOST_CONCURRENCY=0"}, "webhook.per_host_concurrency: must be at least 1"},
		{"retention 0s", sample + "queue:\n  retention: 0s\n", nil, "queue.retention: must be positive"},
		{"lease_ttl negative", sample + "queue:\n  lease_ttl: -1s\n", nil, "queue.lease_ttl: must not be negative"},
		{"flow_control_retries set", sample + "queue:\n  flow_control_retries: 30\n", nil, "queue.flow_control_retries: removed"},
		{"flow_control_timeout 0", sample + "queue:\n  flow_control_timeout: 0s\n", nil, "queue.flow_control_timeout: must be positive"},
		{"report_delay negative", sample + "simulator:\n  report_delay: -1s\n", nil, "simulator.report_delay: must not be negative"},
		{"appended channel gets defaults", sample, []string{
			"SMSBRIDGE_CHANNELS_1_NAME=backup", "SMSBRIDGE_CHANNELS_1_ADDR=127.0.0.1:7891", "SMSBRIDGE_CHANNELS_1_SP_ID=900002",
			"SMSBRIDGE_CHANNELS_1_SRC_ID=1065800002", "SMSBRIDGE_CHANNELS_1_SECRET=x"}, ""},
	} {
		expectParse(t, tc.name, tc.yaml, tc.env, tc.want)
	}
}

// Item 11: validation runs the owners' own checks (store, CMPP link,
// webhook dispatcher) and names the key.
func TestValidateRunsTheOwnersChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		// Passed validation, then panicked in store.New.
		{"prefix with colon", []string{"SMSBRIDGE_REDIS_PREFIX=sb:prod"}, "redis.prefix: \"sb:prod\" contains '{', '}', ':' or whitespace"},
		{"prefix with tab", []string{"SMSBRIDGE_REDIS_PREFIX=sb\tx"}, "redis.prefix"},
		{"prefix unicode ok", []string{"SMSBRIDGE_REDIS_PREFIX=短信"}, ""},
		{"max segments", []string{"SMSBRIDGE_TEXT_MAX_SEGMENTS=256"}, "text.max_segments: must be 0..255"},
		{"window too big", []string{"SMSBRIDGE_CHANNELS_0_WINDOW=1025"}, "channels[0].window: must be 0 (default 16) ..1024"},
		{"addr not host:port", []string{"SMSBRIDGE_CHANNELS_0_ADDR=nowhere"}, "channels[0].addr: not host:port"},
		{"sp_id too long", []string{"SMSBRIDGE_CHANNELS_0_SP_ID=1234567"}, "channels[0].sp_id: longer than 6 bytes"},
		{"sp_id empty", []string{"SMSBRIDGE_CHANNELS_0_SP_ID="}, "channels[0].sp_id: is empty"},
		{"flush delay", []string{"SMSBRIDGE_CHANNELS_0_FLUSH_DELAY=101ms"}, "channels[0].flush_delay: must be at most 100ms"},
		{"backoff order", []string{"SMSBRIDGE_WEBHOOK_INITIAL_BACKOFF=1m", "SMSBRIDGE_WEBHOOK_MAX_BACKOFF=1s"}, "webhook.max_backoff: must be at least InitialBackoff"},
	} {
		expectParse(t, tc.name, sample, tc.env, tc.want)
	}
	// One message per problem: the owner's check is not repeated here.
	got := parseErr(t, sample, "SMSBRIDGE_CHANNELS_0_WINDOW=-3")
	if strings.Count(got, "channels[0].window") != 1 {
		t.Errorf("window -3: %q, want exactly one message", got)
	}
}
