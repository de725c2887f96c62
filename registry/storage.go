package registry

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script is the Lua script in two forms: plain, and strict ("#!lua":
// Redis 7 refuses any key outside the declared keys' slot).
type script struct{ plain, strict *redis.Script }

func loadLua(name string) script {
	body, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("registry: missing script " + name + ": " + err.Error())
	}
	return script{plain: redis.NewScript(string(body)), strict: redis.NewScript("#!lua\n" + string(body))}
}

// scriptApply stores one change (see lua/apply.lua).
var scriptApply = loadLua("apply")

// maxAttempts bounds the retries of a change that lost a race.
const maxAttempts = 10

// stored is every record as read from Redis at one version.
type stored struct {
	version  int64
	tenants  map[string]*Tenant
	channels map[string]*Channel
}

// tenantList returns the tenants by name, with the tenant called last (if
// any) at the end, so that CheckSet reports a clash on it.
func (st *stored) tenantList(last string) []Tenant {
	out := make([]Tenant, 0, len(st.tenants))
	for _, name := range sortedNames(st.tenants) {
		if name != last {
			out = append(out, *st.tenants[name])
		}
	}
	if t, ok := st.tenants[last]; ok {
		out = append(out, *t)
	}
	return out
}

// channelList returns the channels by name.
func (st *stored) channelList() []Channel {
	out := make([]Channel, 0, len(st.channels))
	for _, name := range sortedNames(st.channels) {
		out = append(out, *st.channels[name])
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// read loads every record and the version in one transaction (all keys
// share one slot). A record that does not decode is logged and left out.
func (r *Registry) read(ctx context.Context) (*stored, error) {
	var ver *redis.StringCmd
	var tens, chans *redis.MapStringStringCmd
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		ver = p.Get(ctx, r.keys.RegistryVersion())
		tens = p.HGetAll(ctx, r.keys.RegistryTenants())
		chans = p.HGetAll(ctx, r.keys.RegistryChannels())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("registry: read: %w", err)
	}
	st := &stored{tenants: map[string]*Tenant{}, channels: map[string]*Channel{}}
	if v, err := ver.Result(); err == nil {
		if st.version, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("registry: read: version %q: %w", v, err)
		}
	}
	for name, js := range tens.Val() {
		t := new(Tenant)
		if err := json.Unmarshal([]byte(js), t); err != nil || t.Name != name {
			r.log.Error().Str("tenant", name).AnErr("error", err).Msg("stored tenant record does not decode; left out")
			continue
		}
		st.tenants[name] = t
	}
	for name, js := range chans.Val() {
		c := new(Channel)
		if err := json.Unmarshal([]byte(js), c); err != nil || c.Name != name {
			r.log.Error().Str("channel", name).AnErr("error", err).Msg("stored channel record does not decode; left out")
			continue
		}
		st.channels[name] = c
	}
	return st, nil
}

// Load reads every account from Redis and replaces the snapshot when the
// stored version differs from the current one (Import calls it; Run keeps
// it current).
func (r *Registry) Load(ctx context.Context) error {
	_, err := r.load(ctx, false)
	return err
}

// load replaces the snapshot with the stored accounts when their version
// differs (or always when force), notifies the subscribers and reports
// whether it did.
func (r *Registry) load(ctx context.Context, force bool) (bool, error) {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	st, err := r.read(ctx)
	if err != nil {
		return false, err
	}
	cur := r.snap.Load()
	if !force && cur.Version == st.version {
		return false, nil
	}
	if st.version < cur.Version && cur.Version >= 0 {
		// The version only grows: a smaller one means the keys were
		// removed (a flushed Redis). Take what is there.
		r.log.Warn().Int64("version", st.version).Int64("had", cur.Version).Msg("stored registry version went back")
	}
	tens, chans := make([]Tenant, 0, len(st.tenants)), make([]Channel, 0, len(st.channels))
	for _, n := range sortedNames(st.tenants) {
		tens = append(tens, *st.tenants[n])
	}
	for _, n := range sortedNames(st.channels) {
		chans = append(chans, *st.channels[n])
	}
	r.snap.Store(NewSnapshot(st.version, tens, chans))
	r.log.Debug().Int64("version", st.version).Int("tenants", len(tens)).Int("channels", len(chans)).Msg("snapshot loaded")
	r.notify()
	return true, nil
}

// changeSet is what one registry change writes.
type changeSet struct {
	tenants  []*Tenant // records to store
	channels []*Channel
	dropKeys []string    // key hashes to remove from the index
	addKeys  [][2]string // key hash, "<tenant>:<key id>"
	// audit lines, logged once the change is stored.
	audits []auditLine
}

func (c *changeSet) empty() bool {
	return len(c.tenants) == 0 && len(c.channels) == 0 && len(c.dropKeys) == 0 && len(c.addKeys) == 0
}

// mutate computes a change with compute from the records re-read from
// Redis and stores it if no other change was stored meanwhile; a lost
// race is retried (compute runs again on the new records), up to
// maxAttempts, then ErrConflict. An error of compute is returned as is.
// After a stored change the new version is published and this replica's
// snapshot reloaded.
func (r *Registry) mutate(ctx context.Context, compute func(st *stored) (*changeSet, error)) error {
	for attempt := 1; ; attempt++ {
		st, err := r.read(ctx)
		if err != nil {
			return err
		}
		ch, err := compute(st)
		if err != nil {
			return err
		}
		if ch == nil || ch.empty() {
			return nil
		}
		if err := checkResult(st, ch); err != nil {
			return err
		}
		ver, err := r.apply(ctx, st.version, ch)
		switch {
		case err == nil:
			for _, a := range ch.audits {
				r.audit(a)
			}
			if err := r.rdb.Publish(ctx, r.keys.RegistryEvents(), ver).Err(); err != nil {
				// The other replicas' poll picks the change up.
				r.log.Warn().Err(err).Int64("version", ver).Msg("publish of a registry change failed")
			}
			if _, err := r.load(ctx, false); err != nil {
				r.log.Warn().Err(err).Msg("reload after a change failed; Run retries")
			}
			return nil
		case errors.Is(err, ErrConflict) && attempt < maxAttempts:
			// Another change came first: wait a little (jittered, longer
			// each time) and recompute.
			wait := time.Duration(attempt) * time.Duration(2+rand.IntN(8)) * time.Millisecond
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		default:
			return err
		}
	}
}

// apply runs the script for ch, computed at version from.
func (r *Registry) apply(ctx context.Context, from int64, ch *changeSet) (int64, error) {
	args := []any{strconv.FormatInt(from, 10), len(ch.tenants) + len(ch.channels)}
	for _, t := range ch.tenants {
		js, err := json.Marshal(t)
		if err != nil {
			return 0, fmt.Errorf("registry: encode tenant %q: %w", t.Name, err)
		}
		args = append(args, "t", t.Name, string(js))
	}
	for _, c := range ch.channels {
		js, err := json.Marshal(c)
		if err != nil {
			return 0, fmt.Errorf("registry: encode channel %q: %w", c.Name, err)
		}
		args = append(args, "c", c.Name, string(js))
	}
	args = append(args, len(ch.dropKeys))
	for _, h := range ch.dropKeys {
		args = append(args, h)
	}
	args = append(args, len(ch.addKeys))
	for _, p := range ch.addKeys {
		args = append(args, p[0], p[1])
	}
	keys := []string{r.keys.RegistryTenants(), r.keys.RegistryChannels(), r.keys.RegistryVersion(), r.keys.RegistryKeyIndex()}
	sc := scriptApply.plain
	if r.strict {
		sc = scriptApply.strict
	}
	ver, err := sc.Run(ctx, r.rdb, keys, args...).Int64()
	if err != nil {
		// Redis 7 puts "ERR " before an error_reply without a code.
		msg := strings.TrimPrefix(err.Error(), "ERR ")
		switch {
		case msg == "CONFLICT":
			return 0, ErrConflict
		case strings.HasPrefix(msg, "DUPKEY "):
			// CheckSet refuses this first; the index is the last word.
			return 0, invalidf("keys", "the same API key as another tenant")
		}
		return 0, fmt.Errorf("registry: store change: %w", err)
	}
	return ver, nil
}
