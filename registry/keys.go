package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxKeysPerTenant bounds the API keys of one tenant (rotation needs two).
const MaxKeysPerTenant = 100

// KeyPrefix starts every API key the registry makes.
const KeyPrefix = "sk_"

// newKey returns a new API key ("sk_" + 32 random bytes, base64url) and
// its id ("key_" + 8 hex digits).
func newKey() (key, id string) {
	var b [32]byte
	var i [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	_, _ = rand.Read(i[:])
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:]), "key_" + hex.EncodeToString(i[:])
}

// HashKey returns the hex SHA-256 of an API key, as stored.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// configKeyID is the stable id of a config tenant's key_sha256.
func configKeyID(sum string) string { return "cfg-" + strings.ToLower(sum)[:8] }

// CreateKey adds an API key to tenant and returns the key (shown once;
// only its SHA-256 is stored) and its record. It authenticates on this
// replica when CreateKey returns, on the others within a second.
func (r *Registry) CreateKey(ctx context.Context, who Actor, tenant string) (key string, meta APIKey, err error) {
	key, id := newKey()
	meta = APIKey{ID: id, SHA256: HashKey(key), CreatedAt: r.now().UTC()}
	err = r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur, err := liveTenant(st, tenant)
		if err != nil {
			return nil, err
		}
		if len(cur.State.Keys) >= MaxKeysPerTenant {
			return nil, invalidf("keys", fmt.Sprintf("at most %d per tenant: revoke one first", MaxKeysPerTenant))
		}
		rec := cloneTenant(cur)
		rec.State.Keys = append(rec.State.Keys, meta)
		rec.State.UpdatedAt = meta.CreatedAt
		return &changeSet{
			tenants: []*Tenant{rec},
			addKeys: [][2]string{{meta.SHA256, tenant + ":" + id}},
			audits:  []auditLine{{who: who, action: "key.create", name: tenant, keyID: id, before: cur, after: rec}},
		}, nil
	})
	if err != nil {
		return "", APIKey{}, err
	}
	return key, meta, nil
}

// RevokeKey removes key keyID of tenant: it stops authenticating on this
// replica when RevokeKey returns, on the others within a second.
func (r *Registry) RevokeKey(ctx context.Context, who Actor, tenant, keyID string) error {
	err := r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur, err := liveTenant(st, tenant)
		if err != nil {
			return nil, err
		}
		rec := cloneTenant(cur)
		for i, k := range rec.State.Keys {
			if k.ID != keyID {
				continue
			}
			rec.State.Keys = append(rec.State.Keys[:i], rec.State.Keys[i+1:]...)
			rec.State.UpdatedAt = r.now().UTC()
			return &changeSet{
				tenants:  []*Tenant{rec},
				dropKeys: []string{strings.ToLower(k.SHA256)},
				audits:   []auditLine{{who: who, action: "key.revoke", name: tenant, keyID: keyID, before: cur, after: rec}},
			}, nil
		}
		return nil, fmt.Errorf("key %q of tenant %q: %w", keyID, tenant, ErrNotFound)
	})
	if err == nil {
		r.forgetKeys(ctx, []string{keyID})
	}
	return err
}

// keyUsageEvery is how often at most one replica records a key's use.
const keyUsageEvery = time.Minute

// keyFlushEvery is the period of the last-use flusher in Run.
const keyFlushEvery = time.Second

// keyUsage is this replica's record of key uses not yet written.
type keyUsage struct {
	mu      sync.Mutex
	noted   map[string]time.Time // key id -> last use noted for writing
	pending map[string]int64     // key id -> unix ms to write
}

func (u *keyUsage) init() {
	u.noted = map[string]time.Time{}
	u.pending = map[string]int64{}
}

// KeyUsed records that keyID authenticated a request now; written to
// Redis at most once a minute per key and replica by Run's flusher, never
// blocking the caller.
func (r *Registry) KeyUsed(keyID string) {
	now := r.now()
	u := &r.usage
	u.mu.Lock()
	if last, ok := u.noted[keyID]; !ok || now.Sub(last) >= keyUsageEvery {
		u.noted[keyID] = now
		u.pending[keyID] = now.UnixMilli()
	}
	u.mu.Unlock()
}

// flushKeyUsage writes the pending last-use times (one HSET). On failure
// they are kept for the next flush unless newer ones came.
func (r *Registry) flushKeyUsage(ctx context.Context) {
	u := &r.usage
	u.mu.Lock()
	pending := u.pending
	if len(pending) == 0 {
		u.mu.Unlock()
		return
	}
	u.pending = map[string]int64{}
	// Forget ids not used for a while, so the map holds live keys only.
	cutoff := r.now().Add(-2 * keyUsageEvery)
	for id, t := range u.noted {
		if t.Before(cutoff) {
			delete(u.noted, id)
		}
	}
	u.mu.Unlock()
	fields := make([]any, 0, 2*len(pending))
	for id, ms := range pending {
		fields = append(fields, id, ms)
	}
	if err := r.rdb.HSet(ctx, r.keys.KeyLastUse(), fields...).Err(); err != nil {
		r.log.Warn().Err(err).Int("keys", len(pending)).Msg("writing API key last use failed; retried at the next flush")
		u.mu.Lock()
		for id, ms := range pending {
			if _, newer := u.pending[id]; !newer {
				u.pending[id] = ms
			}
		}
		u.mu.Unlock()
	}
}

// KeysLastUsed returns the last-use time of keyIDs (zero when never): the
// latest of the stored time and a use this replica has not written yet.
func (r *Registry) KeysLastUsed(ctx context.Context, keyIDs []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(keyIDs))
	if len(keyIDs) == 0 {
		return out, nil
	}
	vals, err := r.rdb.HMGet(ctx, r.keys.KeyLastUse(), keyIDs...).Result()
	if err != nil {
		return nil, fmt.Errorf("registry: key last use: %w", err)
	}
	u := &r.usage
	u.mu.Lock()
	defer u.mu.Unlock()
	for i, id := range keyIDs {
		var t time.Time
		if s, ok := vals[i].(string); ok {
			if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
				t = time.UnixMilli(ms).UTC()
			}
		}
		if ms, ok := u.pending[id]; ok && time.UnixMilli(ms).After(t) {
			t = time.UnixMilli(ms).UTC()
		}
		out[id] = t
	}
	return out, nil
}

// forgetKeys removes the last use of revoked keys (best effort).
func (r *Registry) forgetKeys(ctx context.Context, keyIDs []string) {
	if len(keyIDs) == 0 {
		return
	}
	u := &r.usage
	u.mu.Lock()
	for _, id := range keyIDs {
		delete(u.pending, id)
		delete(u.noted, id)
	}
	u.mu.Unlock()
	if err := r.rdb.HDel(ctx, r.keys.KeyLastUse(), keyIDs...).Err(); err != nil {
		r.log.Warn().Err(err).Msg("removing the last use of revoked keys failed")
	}
}
