package gateway

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// genBase is a demo configuration: embedded store and simulator, every
// address on loopback, port 0.
const genBase = `http:
  addr: 127.0.0.1:0
  max_body_bytes: 1048576
redis:
  prefix: sb
  pool_size: 10
log:
  level: warn
shutdown_timeout: 5s
channels:
  - name: default
    addr: ""
    version: "3.0"
    sp_id: "900001"
    secret: "888888"
    src_id: "1065800001"
    links: 1
    window: 16
    response_timeout: 5s
    flush_delay: 500us
tenants:
  - name: gen
    key_sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
    callback_url: http://127.0.0.1:1/hook
    webhook_secret: gen-webhook-secret-0123
    channels: [default]
    default: true
webhook:
  retry_for: 1h
  timeout: 5s
  allow_private_networks: true
queue:
  lease_ttl: 30s
simulator:
  embedded: true
  report_delay: 10ms
  webhook_receiver: ""
`

// genValues are the values tried per environment override: valid ones,
// edge ones and wrong ones of every kind. Addresses stay on loopback.
var genValues = map[string][]string{
	"REDIS_PREFIX":                   {"sb", "sb:prod", "{x}", "", "a b", "短信", "x\ty", strings.Repeat("p", 300), "sb-2"},
	"REDIS_POOL_SIZE":                {"0", "-1", "1", "10000", "10001", "x"},
	"HTTP_MAX_BODY_BYTES":            {"0", "1023", "1024", "-5", "9223372036854775807", "99999999999999999999"},
	"HTTP_ADMIN_KEY":                 {"", "short", "0123456789abcdef"},
	"HTTP_ADDR":                      {"127.0.0.1:0", "127.0.0.1", "127.0.0.1:99999", "[::1]:0", ""},
	"LOG_LEVEL":                      {"debug", "loud", "", "error"},
	"SHUTDOWN_TIMEOUT":               {"0s", "-1s", "1ms", "10s", "soon", "9223372036s"},
	"CHANNELS_0_VERSION":             {"2.0", "2.1", "3.0", "4.0", "", "3"},
	"CHANNELS_0_SP_ID":               {"", "1234567", "900001", "客户"},
	"CHANNELS_0_SECRET":              {"", "x", "888888"},
	"CHANNELS_0_LINKS":               {"0", "1", "4", "65", "-1"},
	"CHANNELS_0_WINDOW":              {"0", "1", "1024", "1025", "-3", "2147483648"},
	"CHANNELS_0_TRANSMISSIONS":       {"0", "1", "-1", "1000000"},
	"CHANNELS_0_RESPONSE_TIMEOUT":    {"0s", "-1s", "1ms", "1h", "1"},
	"CHANNELS_0_IDLE_INTERVAL":       {"0s", "-1s", "10ms", "1h"},
	"CHANNELS_0_CONNECT_TIMEOUT":     {"0s", "-1s", "1ms", "1h"},
	"CHANNELS_0_FLUSH_DELAY":         {"-1ms", "0s", "100ms", "101ms", "1ns"},
	"CHANNELS_0_MAX_SUBMITS_PER_SEC": {"-1", "0", "1", "1000000000"},
	"CHANNELS_0_NAME":                {"default", "Default", "a:b", "", "{x}"},
	"CHANNELS_0_ADDR":                {"", "127.0.0.1:1", "nohostport", "127.0.0.1:99999", "[::1]:1"},
	"CHANNELS_0_SRC_ID":              {"", "abc", "1065800001", strings.Repeat("1", 22)},
	"CHANNELS_0_MSG_SRC":             {"", "1234567", "900001"},
	"CHANNELS_0_FEE_USER_TYPE":       {"4", "3", "255", "256", "-1"},
	"CHANNELS_1_NAME":                {"default", "backup"},
	"TENANTS_0_NAME":                 {"gen", "Gen", "", "a b", strings.Repeat("t", 33)},
	"TENANTS_0_WEBHOOK_SECRET":       {"", "short", "0123456789abcdef"},
	"TENANTS_0_KEY_SHA256":           {"abc", strings.ToUpper("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8")},
	"TENANTS_0_WEBHOOK_BATCH_MAX":    {"-1", "0", "128", "129"},
	"TENANTS_0_CALLBACK_URL":         {"", "http://127.0.0.1:1/h", "ftp://127.0.0.1/x", "::"},
	"TENANTS_0_MO_EXT":               {"", "12", "x"},
	"TENANTS_0_CHANNELS":             {"", "default", "nope", "default,default"},
	"TENANTS_1_NAME":                 {"gen", "other"},
	"WEBHOOK_RETRY_FOR":              {"0s", "-1s", "1ns", "1h"},
	"WEBHOOK_INITIAL_BACKOFF":        {"0s", "-1s", "1ms", "1h"},
	"WEBHOOK_MAX_BACKOFF":            {"0s", "-1s", "1ms", "2h"},
	"WEBHOOK_TIMEOUT":                {"0s", "-1s", "1ms", "1h"},
	"WEBHOOK_PER_HOST_CONCURRENCY":   {"0", "-1", "1", "1000000"},
	"TEXT_MAX_SEGMENTS":              {"0", "1", "255", "256", "-1"},
	"TEXT_SIGNATURE_RESERVE":         {"-1", "0", "60", "61"},
	"TEXT_UDH16":                     {"true", "maybe"},
	"QUEUE_LEASE_TTL":                {"0s", "-1s", "1ms", "1h"},
	"QUEUE_MAPPING_TTL":              {"0s", "1ns", "1000h"},
	"QUEUE_REPORT_WAIT":              {"0s", "-1s", "1ms"},
	"QUEUE_RETENTION":                {"0s", "-1s", "1s"},
	"QUEUE_FLOW_CONTROL_RETRIES":     {"0", "-1", "1", "1000000"},
	"QUEUE_FLOW_CONTROL_TIMEOUT":     {"0s", "-1s", "1ms", "10m"},
	"QUEUE_MAX_RECOVERIES":           {"0", "-1", "1", "1000000"},
	"REDIS_TIMEOUT":                  {"0s", "-1s", "1ms", "3s", "1h"},
	"WEBHOOK_ALLOW_PRIVATE_NETWORKS": {"false", "true", "maybe"},
	"TENANTS_0_WEBHOOK_HOSTS":        {"", "127.0.0.1", "*.example.com", "*", "a b", "example.com,127.0.0.1"},
	"SIMULATOR_EMBEDDED":             {"false", "true"},
	"SIMULATOR_REPORT_DELAY":         {"-1s", "0s", "1h"},
	"SIMULATOR_WEBHOOK_RECEIVER":     {"", "127.0.0.1:0", "bad"},
}

// genYAMLValues replace one scalar of the file: wrong types, nulls,
// numbers out of range.
var genYAMLValues = []string{"[1, 2]", "{a: 1}", "lots", "~", "1e99", "0x10", "-0", "''", "!!binary aGk=", "*nope", "&a x"}

// genCase derives the configuration of case i: the base file, perhaps
// with one scalar replaced, and one to four environment overrides.
func genCase(i int) (yaml string, env []string) {
	r := rand.New(rand.NewPCG(9, uint64(i)))
	yaml = genBase
	if r.IntN(4) == 0 {
		lines := strings.Split(yaml, "\n")
		for tries := 0; tries < 10; tries++ {
			j := r.IntN(len(lines))
			if k, _, ok := strings.Cut(lines[j], ": "); ok && !strings.HasSuffix(lines[j], ":") {
				lines[j] = k + ": " + genYAMLValues[r.IntN(len(genYAMLValues))]
				break
			}
		}
		yaml = strings.Join(lines, "\n")
	}
	keys := make([]string, 0, len(genValues))
	for k := range genValues {
		keys = append(keys, k)
	}
	slices.Sort(keys) // map order is random: sorted, the case is reproducible
	for n := 1 + r.IntN(4); n > 0; n-- {
		k := keys[r.IntN(len(keys))]
		vals := genValues[k]
		env = append(env, config.EnvPrefix+k+"="+vals[r.IntN(len(vals))])
	}
	return yaml, env
}

// outcome of one configuration.
type outcome int

const (
	refused outcome = iota // Parse or New returned an error
	ran                    // the service ran, answered /healthz and stopped
	skipped                // addresses beyond loopback (fuzz inputs only)
)

// loadAndRun takes one configuration through Parse → gateway.New → Run →
// stop. A configuration must end in a clean error or a service that runs
// and stops; a panic anywhere fails the test with the inputs.
func loadAndRun(t *testing.T, yaml string, env []string) (res outcome, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("panic: %v\nconfig:\n%s\nenv: %q\n%s", p, yaml, env, debug.Stack())
		}
	}()
	cfg, err := config.Parse([]byte(yaml), env)
	if err != nil {
		return refused, err
	}
	if !loopbackOnly(cfg) {
		return skipped, nil
	}
	gw, err := New(cfg, zerolog.Nop(), Options{Version: "gen"})
	if err != nil {
		return refused, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	healthz := "http://" + gw.Addr() + "/healthz"
	testenv.WaitFor(t, 10*time.Second, "GET /healthz answers 200", func() bool {
		resp, err := http.Get(healthz)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v\nconfig:\n%s\nenv: %q", err, yaml, env)
		}
	case <-time.After(min(cfg.ShutdownTimeout.D(), 20*time.Second) + 10*time.Second): // nothing in flight: the drain is quick
		t.Fatalf("Run did not return after its context was cancelled\nconfig:\n%s\nenv: %q", yaml, env)
	}
	return ran, nil
}

// loopbackOnly reports whether every address cfg could connect to or
// listen on is a loopback IP literal (traffic stays on this machine).
func loopbackOnly(cfg *config.Config) bool {
	hostOK := func(hostport string, emptyOK bool) bool {
		if hostport == "" {
			return emptyOK
		}
		host, _, err := net.SplitHostPort(hostport)
		if err != nil {
			return true // refused by validation or by the listener
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	ok := hostOK(cfg.HTTP.Addr, false) && cfg.Redis.Addr == "" && hostOK(cfg.Simulator.WebhookReceiver, true)
	for _, ch := range cfg.Channels {
		ok = ok && hostOK(ch.Addr, true)
	}
	for _, tn := range cfg.Tenants {
		if u, err := url.Parse(tn.CallbackURL); err == nil && tn.CallbackURL != "" {
			ip := net.ParseIP(u.Hostname())
			ok = ok && ip != nil && ip.IsLoopback()
		}
	}
	return ok
}

// Item 11: a configuration that passes validation must start. Many
// generated configurations go through Parse → New → Run; each ends in a
// clean error or a running service, never a panic: first every value of
// genValues alone (prefixes with ':', '{', unicode, empty; huge and
// negative numbers; odd durations and loopback addresses; versions …),
// then random combinations of them with wrong YAML types.
func TestGeneratedConfigsStartOrFailCleanly(t *testing.T) {
	if res, err := loadAndRun(t, genBase, nil); res != ran {
		t.Fatalf("the base configuration did not run: %v", err)
	}
	var inputs [][]string
	keys := make([]string, 0, len(genValues))
	for k := range genValues {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range genValues[k] {
			inputs = append(inputs, []string{config.EnvPrefix + k + "=" + v})
		}
	}
	combos := 300
	if testing.Short() {
		combos = 60
	}
	var counts [3]int
	check := func(name, yaml string, env []string) {
		res, err := loadAndRun(t, yaml, env)
		counts[res]++
		if res == refused && (err == nil || err.Error() == "") {
			t.Fatalf("%s refused without a reason", name)
		}
		if res == skipped {
			t.Fatalf("%s: the generator left loopback: %q", name, env)
		}
	}
	for _, env := range inputs {
		check(env[0], genBase, env)
	}
	for i := 0; i < combos; i++ {
		yaml, env := genCase(i)
		check(fmt.Sprintf("case %d", i), yaml, env)
	}
	t.Logf("%d configurations: %d refused with an error, %d ran", len(inputs)+combos, counts[refused], counts[ran])
	if counts[refused] == 0 || counts[ran] == 0 {
		t.Fatalf("the generator exercised one side only: %d refused, %d ran", counts[refused], counts[ran])
	}
}

// FuzzConfig is the same property for arbitrary inputs: a YAML document
// and newline-separated SMSBRIDGE_* overrides. Inputs reaching beyond
// loopback are skipped. Crashers go to testdata/fuzz/FuzzConfig.
func FuzzConfig(f *testing.F) {
	f.Add(genBase, "")
	f.Add(genBase, "SMSBRIDGE_REDIS_PREFIX=sb:prod")
	f.Add(genBase, "SMSBRIDGE_CHANNELS_0_WINDOW=0\nSMSBRIDGE_QUEUE_LEASE_TTL=-1s")
	for i := 0; i < 8; i++ {
		yaml, env := genCase(i)
		f.Add(yaml, strings.Join(env, "\n"))
	}
	f.Fuzz(func(t *testing.T, yaml, envText string) {
		var env []string
		for _, kv := range strings.Split(envText, "\n") {
			if strings.HasPrefix(kv, config.EnvPrefix) {
				env = append(env, kv)
			}
		}
		if res, _ := loadAndRun(t, yaml, env); res == skipped {
			t.Skip("reaches beyond loopback")
		}
	})
}
