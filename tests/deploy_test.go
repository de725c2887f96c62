package tests

// Static checks of the deployment files (Dockerfile, .dockerignore,
// docker-compose.yml, .env.example, deploy/simulator.yaml) that run
// without a Docker engine. .ci/run also validates the compose file with
// `docker-compose config -q`.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
)

// repoRoot is the module root, relative to this package's directory.
const repoRoot = ".."

// composeFile is the part of the Compose spec the checks read.
type composeFile struct {
	Version  *string                   `yaml:"version"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string                       `yaml:"image"`
	Build           *composeBuild                `yaml:"build"`
	Command         []string                     `yaml:"command"`
	Environment     map[string]string            `yaml:"environment"`
	DependsOn       map[string]composeDependency `yaml:"depends_on"`
	Volumes         []string                     `yaml:"volumes"`
	Ports           []string                     `yaml:"ports"`
	Profiles        []string                     `yaml:"profiles"`
	Restart         string                       `yaml:"restart"`
	StopGracePeriod string                       `yaml:"stop_grace_period"`
	Healthcheck     *composeHealthcheck          `yaml:"healthcheck"`
}

type composeBuild struct {
	Context string            `yaml:"context"`
	Args    map[string]string `yaml:"args"`
}

type composeDependency struct {
	Condition string `yaml:"condition"`
}

type composeHealthcheck struct {
	Test     []string `yaml:"test"`
	Interval string   `yaml:"interval"`
	Timeout  string   `yaml:"timeout"`
}

func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func loadCompose(t *testing.T) (*composeFile, string) {
	t.Helper()
	text := readRepoFile(t, "docker-compose.yml")
	var f composeFile
	if err := yaml.Unmarshal(text, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"redis", "smsbridge", "simulator"} {
		if _, ok := f.Services[name]; !ok {
			t.Fatalf("docker-compose.yml: no service %q", name)
		}
	}
	return &f, string(text)
}

// interpolation matches ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message} and ${VAR?message}.
var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// composeVar is one variable the compose file reads from .env / the shell.
type composeVar struct {
	Required bool   // ${VAR:?…}: compose refuses to start without it
	Default  string // ${VAR:-default}
}

// composeVars lists the interpolated variables and checks that each has a
// default or is required with a message: none silently becomes "".
func composeVars(t *testing.T, text string) map[string]composeVar {
	t.Helper()
	vars := map[string]composeVar{}
	for _, m := range interpolation.FindAllStringSubmatch(text, -1) {
		name, op, arg := m[1], m[2], m[3]
		var v composeVar
		switch op {
		case ":-":
			v.Default = arg
		case ":?":
			if strings.TrimSpace(arg) == "" {
				t.Errorf("${%s:?}: give a message saying how to set it", name)
			}
			v.Required = true
		default:
			t.Errorf("${%s%s…}: use ${%s:-default} or ${%s:?message}", name, op, name, name)
		}
		if old, seen := vars[name]; seen && old != v {
			t.Errorf("%s is interpolated with different defaults: %+v and %+v", name, old, v)
		}
		vars[name] = v
	}
	return vars
}

// resolve expands s as compose would with nothing set except required.
func resolve(t *testing.T, s string, required map[string]string) string {
	t.Helper()
	return interpolation.ReplaceAllStringFunc(s, func(ref string) string {
		m := interpolation.FindStringSubmatch(ref)
		if m[2] == ":?" {
			v, ok := required[m[1]]
			if !ok {
				t.Fatalf("required variable %s has no test value", m[1])
			}
			return v
		}
		return m[3]
	})
}

// testAPIKeyHash is what an operator would set as API_KEY_SHA256.
func testAPIKeyHash() string {
	sum := sha256.Sum256([]byte("a-real-api-key"))
	return hex.EncodeToString(sum[:])
}

func TestComposeHasNoVersionKey(t *testing.T) {
	f, _ := loadCompose(t)
	if f.Version != nil {
		t.Errorf("docker-compose.yml has version: %q; the Compose spec has none", *f.Version)
	}
}

func TestComposeRedisPersistsAOFOnVolume(t *testing.T) {
	f, _ := loadCompose(t)
	redis := f.Services["redis"]
	if !strings.HasPrefix(redis.Image, "redis:7") {
		t.Errorf("redis image %q, want redis:7-*", redis.Image)
	}
	cmd := strings.Join(redis.Command, " ")
	for _, want := range []string{"--appendonly yes", "--appendfsync everysec"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("redis command %q lacks %q", cmd, want)
		}
	}
	var dataVolume string
	for _, v := range redis.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		if dst == "/data" || strings.HasPrefix(dst, "/data:") {
			dataVolume = src
		}
	}
	if dataVolume == "" {
		t.Fatalf("redis volumes %q: nothing mounted on /data (where the AOF is written)", redis.Volumes)
	}
	if strings.ContainsAny(dataVolume, "./") {
		t.Errorf("redis /data comes from %q; want a named volume", dataVolume)
	}
	if _, ok := f.Volumes[dataVolume]; !ok {
		t.Errorf("volume %q is not declared under top-level volumes", dataVolume)
	}
	if hc := redis.Healthcheck; hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "redis-cli ping") {
		t.Errorf("redis healthcheck %+v, want redis-cli ping", hc)
	}
	if len(redis.Ports) != 0 {
		t.Errorf("redis publishes %q; only smsbridge needs it, over the compose network", redis.Ports)
	}
}

func TestComposeSmsbridgeService(t *testing.T) {
	f, _ := loadCompose(t)
	sb := f.Services["smsbridge"]
	if dep, ok := sb.DependsOn["redis"]; !ok || dep.Condition != "service_healthy" {
		t.Errorf("smsbridge depends_on redis = %+v, want condition service_healthy", sb.DependsOn)
	}
	if len(sb.Profiles) != 0 {
		t.Errorf("smsbridge has profiles %q; it must start with a plain `up`", sb.Profiles)
	}
	if sb.Build == nil || sb.Build.Context != "." {
		t.Errorf("smsbridge build %+v, want context .", sb.Build)
	}
	if sb.Restart != "unless-stopped" {
		t.Errorf("smsbridge restart %q, want unless-stopped", sb.Restart)
	}
	grace, err := time.ParseDuration(sb.StopGracePeriod)
	if err != nil {
		t.Fatalf("smsbridge stop_grace_period %q: %v", sb.StopGracePeriod, err)
	}
	if drain := config.Defaults().ShutdownTimeout.D(); grace < drain {
		t.Errorf("stop_grace_period %v is shorter than shutdown_timeout %v: docker would SIGKILL mid-drain", grace, drain)
	}
	hc := sb.Healthcheck
	if hc == nil || !slices.Contains(hc.Test, "healthcheck") {
		t.Fatalf("smsbridge healthcheck %+v, want the `smsbridge healthcheck` subcommand", hc)
	}
	if timeout, err := time.ParseDuration(hc.Timeout); err != nil || timeout <= 3*time.Second {
		t.Errorf("healthcheck timeout %q must exceed the probe's own 3s", hc.Timeout)
	}
	if !slices.ContainsFunc(sb.Ports, func(p string) bool { return strings.HasSuffix(p, ":8080") }) {
		t.Errorf("smsbridge ports %q do not publish 8080", sb.Ports)
	}
}

// TestComposeEnvironmentIsAValidConfig applies the smsbridge service's
// environment, as compose resolves it with only the required variables
// set, to the config the image embeds: every SMSBRIDGE_* name must be a
// setting, and the result must be a valid non-demo configuration that
// points at the other services.
func TestComposeEnvironmentIsAValidConfig(t *testing.T) {
	f, _ := loadCompose(t)
	required := map[string]string{"API_KEY_SHA256": testAPIKeyHash(), "WEBHOOK_SECRET": "0123456789abcdef"}
	var environ []string
	for name, value := range f.Services["smsbridge"].Environment {
		if !strings.HasPrefix(name, config.EnvPrefix) {
			t.Errorf("smsbridge environment %s: not an %s* setting", name, config.EnvPrefix)
			continue
		}
		kv := name + "=" + resolve(t, value, required)
		// One at a time, so a failure names the variable.
		if err := config.ApplyEnv(config.Defaults(), []string{kv}); err != nil {
			t.Errorf("%v", err)
		}
		environ = append(environ, kv)
	}
	image := dockerfileEnv(t)
	for name, value := range image {
		if err := config.ApplyEnv(config.Defaults(), []string{name + "=" + value}); err != nil {
			t.Errorf("Dockerfile ENV: %v", err)
		}
	}
	if err := config.ApplyEnv(config.Defaults(), environ); err != nil {
		t.Fatalf("all together: %v", err)
	}

	// The image runs `serve` without -config and has no ./config.yaml:
	// the defaults with the embedded demo.yaml overlay, then the image's
	// ENV, then the compose environment on top.
	var all []string
	for name, value := range image {
		all = append(all, name+"="+value)
	}
	cfg, err := config.Parse(readRepoFile(t, "demo.yaml"), append(all, environ...))
	if err != nil {
		t.Fatalf("demo.yaml + compose environment: %v", err)
	}
	if cfg.HTTP.Addr != "0.0.0.0:8080" {
		t.Errorf("http.addr %q, want 0.0.0.0:8080 (reachable from outside the container)", cfg.HTTP.Addr)
	}
	if cfg.Simulator.Embedded {
		t.Error("simulator.embedded is still true: the demo simulator would run inside the gateway")
	}
	if cfg.Webhook.AllowPrivateNetworks {
		t.Error("webhook.allow_private_networks is still true (the demo's setting): webhooks could reach private and metadata addresses")
	}
	if host, port, _ := net.SplitHostPort(cfg.Redis.Addr); host != "redis" || port != "6379" {
		t.Errorf("redis.addr %q, want the redis service", cfg.Redis.Addr)
	}
	demo := sha256.Sum256([]byte("demo-key"))
	for _, tn := range cfg.Tenants {
		if strings.EqualFold(tn.KeySHA256, hex.EncodeToString(demo[:])) {
			t.Errorf("tenant %q keeps the demo key, which the service refuses on 0.0.0.0", tn.Name)
		}
		if tn.WebhookSecret == "demo-webhook-secret" {
			t.Errorf("tenant %q keeps the published demo webhook secret", tn.Name)
		}
	}

	// With the defaults, channel 0 logs in to the demo simulator.
	sim, err := ismgsim.LoadConfig(filepath.Join(repoRoot, "deploy", "simulator.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ch := cfg.Channels[0]
	host, port, err := net.SplitHostPort(ch.Addr)
	if err != nil {
		t.Fatalf("channels[0].addr %q: %v", ch.Addr, err)
	}
	if _, ok := f.Services[host]; host != "simulator" || !ok {
		t.Errorf("channels[0].addr %q: default host should be the simulator service", ch.Addr)
	}
	if _, simPort, _ := net.SplitHostPort(sim.Addr); simPort != port {
		t.Errorf("channels[0].addr port %s, simulator listens on %s", port, sim.Addr)
	}
	if !slices.ContainsFunc(sim.Accounts, func(a ismgsim.Account) bool {
		return a.SPID == ch.SPID && a.Secret == ch.Secret && strings.HasPrefix(ch.SrcID, a.SrcIDPrefix)
	}) {
		t.Errorf("channel 0 (sp_id %s, src_id %s) has no matching account in deploy/simulator.yaml", ch.SPID, ch.SrcID)
	}
}

func TestComposeSimulatorInDemoProfile(t *testing.T) {
	f, _ := loadCompose(t)
	sim := f.Services["simulator"]
	if !slices.Equal(sim.Profiles, []string{"demo"}) {
		t.Errorf("simulator profiles %q, want [demo]", sim.Profiles)
	}
	const cfgPath = "/etc/smsbridge/simulator.yaml"
	if want := []string{"simulator", "-config", cfgPath}; !slices.Equal(sim.Command, want) {
		t.Errorf("simulator command %q, want %q", sim.Command, want)
	}
	if !slices.ContainsFunc(sim.Volumes, func(v string) bool {
		return strings.HasPrefix(v, "./deploy/simulator.yaml:"+cfgPath)
	}) {
		t.Errorf("simulator volumes %q do not mount ./deploy/simulator.yaml at %s", sim.Volumes, cfgPath)
	}
	if sim.Image == "" || sim.Image != f.Services["smsbridge"].Image {
		t.Errorf("simulator image %q, want the smsbridge image %q", sim.Image, f.Services["smsbridge"].Image)
	}
	cfg, err := ismgsim.LoadConfig(filepath.Join(repoRoot, "deploy", "simulator.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{cfg.Addr, cfg.AdminAddr} {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsUnspecified() {
			t.Errorf("simulator listens on %q; other containers need 0.0.0.0", addr)
		}
	}
	if cfg.Addr != "0.0.0.0:7890" || cfg.AdminAddr != "0.0.0.0:7891" {
		t.Errorf("simulator addr %q admin %q, want 0.0.0.0:7890 and 0.0.0.0:7891", cfg.Addr, cfg.AdminAddr)
	}
	hc := sim.Healthcheck
	if hc == nil || !slices.Contains(hc.Test, "healthcheck") {
		t.Fatalf("simulator healthcheck %+v, want `smsbridge healthcheck -url` on the admin API", hc)
	}
	_, adminPort, _ := net.SplitHostPort(cfg.AdminAddr)
	if i := slices.Index(hc.Test, "-url"); i < 0 || i+1 >= len(hc.Test) || !strings.Contains(hc.Test[i+1], "127.0.0.1:"+adminPort+"/") {
		t.Errorf("simulator healthcheck %q does not probe the admin API on port %s", hc.Test, adminPort)
	}
	for _, p := range sim.Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("simulator publishes %q beyond the host's loopback; its admin API has no authentication", p)
		}
	}
}

// envExampleLine matches "VAR=value" and "# VAR=value" (a documented
// default); prose lines are indented further and do not match.
var envExampleLine = regexp.MustCompile(`^(# )?([A-Z][A-Z0-9_]*)=(\S*)`)

func TestEnvExampleDocumentsEveryComposeVariable(t *testing.T) {
	_, text := loadCompose(t)
	vars := composeVars(t, text)
	documented := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(readRepoFile(t, ".env.example"))))
	for sc.Scan() {
		m := envExampleLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		commented, name, value := m[1] != "", m[2], m[3]
		documented[name] = true
		v, ok := vars[name]
		switch {
		case !ok:
			t.Errorf(".env.example: %s is not read by docker-compose.yml", name)
		case v.Required && (commented || value != ""):
			t.Errorf(".env.example: required %s should be an empty, uncommented line to fill in", name)
		case !v.Required && !commented:
			t.Errorf(".env.example: %s=%s is set; show optional variables commented out with their default", name, value)
		case !v.Required && value != v.Default:
			t.Errorf(".env.example: %s documents default %q, docker-compose.yml uses %q", name, value, v.Default)
		}
	}
	for name := range vars {
		if !documented[name] {
			t.Errorf(".env.example does not document %s", name)
		}
	}
}

// dockerInstruction is one Dockerfile instruction with continuation lines
// joined.
type dockerInstruction struct {
	Cmd  string // upper case: FROM, RUN, …
	Args string
}

func parseDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	var out []dockerInstruction
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(readRepoFile(t, "Dockerfile"))))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if body, more := strings.CutSuffix(line, "\\"); more {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{Cmd: strings.ToUpper(cmd), Args: strings.Join(strings.Fields(args), " ")})
		cur.Reset()
	}
	return out
}

// dockerfileEnv returns the ENV settings of the final stage.
func dockerfileEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, in := range parseDockerfile(t) {
		switch in.Cmd {
		case "FROM":
			clear(env)
		case "ENV":
			for _, kv := range strings.Fields(in.Args) {
				name, value, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("Dockerfile: ENV %q: use the NAME=value form", in.Args)
				}
				env[name] = value
			}
		}
	}
	return env
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t)
	var stages []int // index of each FROM
	for i, in := range ins {
		if in.Cmd == "FROM" {
			stages = append(stages, i)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d FROM; want a multi-stage build", len(stages))
	}
	from := strings.Fields(ins[stages[0]].Args)
	if len(from) != 3 || !strings.EqualFold(from[1], "AS") || !strings.HasPrefix(from[0], "golang:1.26") {
		t.Fatalf("first stage %q, want FROM golang:1.26… AS <name>", ins[stages[0]].Args)
	}
	builder := from[2]
	build, final := ins[stages[0]:stages[len(stages)-1]], ins[stages[len(stages)-1]:]

	// Build stage: modules downloaded in their own layer before the
	// sources are copied; a static, trimmed, version-stamped binary.
	download, copyAll, goBuild := -1, -1, ""
	for i, in := range build {
		switch {
		case in.Cmd == "RUN" && strings.Contains(in.Args, "go mod download"):
			download = i
		case in.Cmd == "COPY" && strings.HasPrefix(in.Args, ". "):
			copyAll = i
		case in.Cmd == "RUN" && strings.Contains(in.Args, "go build"):
			goBuild = in.Args
		}
	}
	if download < 0 || copyAll < 0 || download > copyAll {
		t.Errorf("`go mod download` (instruction %d) must run before `COPY . .` (%d) so it is a cached layer", download, copyAll)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=${VERSION}"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("go build %q lacks %q", goBuild, want)
		}
	}
	if !slices.ContainsFunc(build, func(in dockerInstruction) bool {
		return in.Cmd == "ARG" && strings.HasPrefix(in.Args, "VERSION")
	}) {
		t.Error("build stage has no ARG VERSION")
	}

	// Final stage: only the binary, non-root, health-checked.
	var user, healthcheck, entrypoint string
	var exposed []string
	copied := false
	for _, in := range final {
		switch in.Cmd {
		case "USER":
			user = in.Args
		case "HEALTHCHECK":
			healthcheck = in.Args
		case "ENTRYPOINT":
			entrypoint = in.Args
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.Args)...)
		case "COPY":
			copied = copied || strings.HasPrefix(in.Args, "--from="+builder+" ")
		}
	}
	if !copied {
		t.Errorf("final stage does not COPY --from=%s", builder)
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		t.Errorf("final stage USER %q, want a non-root user", user)
	}
	if !strings.Contains(healthcheck, "CMD") || !strings.Contains(healthcheck, `"healthcheck"`) {
		t.Errorf("HEALTHCHECK %q, want CMD [… \"healthcheck\"]", healthcheck)
	}
	if !strings.Contains(entrypoint, "smsbridge") {
		t.Errorf("ENTRYPOINT %q does not run smsbridge", entrypoint)
	}
	for _, port := range []string{"8080", "7890"} {
		if !slices.Contains(exposed, port) {
			t.Errorf("EXPOSE %q lacks %s", exposed, port)
		}
	}
	if addr := dockerfileEnv(t)["SMSBRIDGE_HTTP_ADDR"]; addr != "0.0.0.0:8080" {
		t.Errorf("image SMSBRIDGE_HTTP_ADDR %q, want 0.0.0.0:8080", addr)
	}
}

// dockerignored reports whether the .dockerignore patterns exclude the
// slash-separated path rel (or a directory above it). It supports what
// the file uses: root-relative patterns and a leading "**/"; anything else
// fails the test rather than being guessed.
func dockerignored(t *testing.T, patterns []string, rel string) bool {
	t.Helper()
	parts := strings.Split(rel, "/")
	for _, p := range patterns {
		if strings.HasPrefix(p, "!") || strings.Contains(strings.TrimPrefix(p, "**/"), "**") {
			t.Fatalf(".dockerignore: pattern %q is not supported by this check", p)
		}
		if rest, anyDepth := strings.CutPrefix(p, "**/"); anyDepth {
			for _, part := range parts {
				if ok, _ := path.Match(rest, part); ok {
					return true
				}
			}
			continue
		}
		for i := 1; i <= len(parts); i++ {
			if ok, _ := path.Match(strings.TrimPrefix(p, "/"), strings.Join(parts[:i], "/")); ok {
				return true
			}
		}
	}
	return false
}

func readDockerignore(t *testing.T) []string {
	t.Helper()
	var patterns []string
	for _, line := range strings.Split(string(readRepoFile(t, ".dockerignore")), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, path.Clean(line))
		}
	}
	return patterns
}

// buildInputs lists, relative to the module root, every file `go build .`
// reads from the module with the Dockerfile's CGO_ENABLED=0: go.mod,
// go.sum, the Go files of each package it compiles and their //go:embed
// files.
func buildInputs(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-json", ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	inputs := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var pkg struct {
			Dir        string
			Module     *struct{ Path string }
			GoFiles    []string
			EmbedFiles []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatalf("go list: %v", err)
		}
		if pkg.Module == nil || pkg.Module.Path != "github.com/smsbridge/smsbridge" {
			continue
		}
		rel, err := filepath.Rel(root, pkg.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range slices.Concat(pkg.GoFiles, pkg.EmbedFiles) {
			inputs = append(inputs, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	return inputs
}

// TestDockerignoreKeepsBuildInputs checks that the build context keeps
// every file `go build` needs, //go:embed inputs included, and leaves out
// the repository's history, secrets and test binaries.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	patterns := readDockerignore(t)
	inputs := buildInputs(t)
	for _, want := range []string{"main.go", "demo.yaml", "store/lua/lease.lua"} {
		if !slices.Contains(inputs, want) {
			t.Fatalf("go list reports no build input %s; the check would prove nothing", want)
		}
	}
	for _, f := range inputs {
		if dockerignored(t, patterns, f) {
			t.Errorf(".dockerignore excludes %s, which `go build .` needs", f)
		}
	}
	for _, drop := range []string{".git/config", ".env", "tests/tests.test", "cmd_serve_test.go", "cmpp/testdata/vectors/x.hex", "smsbridge"} {
		if !dockerignored(t, patterns, drop) {
			t.Errorf(".dockerignore keeps %s in the build context", drop)
		}
	}
}
