package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/registry"
)

// tenantKey is the gin context key of the authenticated *tenant.
const tenantKey = "smsbridge.tenant"

// tenant is a configured tenant with its key hash decoded and its channels
// indexed.
type tenant struct {
	registry.Tenant
	keyHash  [sha256.Size]byte
	channels map[string]bool
}

// newTenants indexes the configured tenants. A tenant whose key_sha256 is
// not 64 hex digits can never authenticate (config validation rejects it
// anyway).
func newTenants(cfg []registry.Tenant) []*tenant {
	out := make([]*tenant, 0, len(cfg))
	for _, t := range cfg {
		tt := &tenant{Tenant: t, channels: map[string]bool{}}
		if b, err := hex.DecodeString(t.KeySHA256); err == nil && len(b) == sha256.Size {
			copy(tt.keyHash[:], b)
		} else {
			continue
		}
		for _, ch := range t.Channels {
			tt.channels[ch] = true
		}
		out = append(out, tt)
	}
	return out
}

// bearer returns the token of an "Authorization: Bearer <token>" header
// (scheme case-insensitive), or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// lookup returns the tenant whose key hashes to sha256(key). Every tenant is
// compared in constant time and the loop never exits early, so the time
// taken says nothing about which tenant (if any) nearly matched.
func (s *Server) lookup(key string) *tenant {
	sum := sha256.Sum256([]byte(key))
	var found *tenant
	for _, t := range s.tenants {
		if subtle.ConstantTimeCompare(sum[:], t.keyHash[:]) == 1 {
			found = t
		}
	}
	return found
}

// requireTenant authenticates the tenant: 401 unauthorized when the Bearer
// key is missing or unknown.
func (s *Server) requireTenant(c *gin.Context) {
	key := bearer(c.Request)
	if key == "" {
		c.Header("WWW-Authenticate", `Bearer realm="smsbridge"`)
		abort(c, errorf(http.StatusUnauthorized, CodeUnauthorized, "missing Authorization: Bearer <api key>"))
		return
	}
	t := s.lookup(key)
	if t == nil {
		c.Header("WWW-Authenticate", `Bearer realm="smsbridge", error="invalid_token"`)
		abort(c, errorf(http.StatusUnauthorized, CodeUnauthorized, "unknown API key"))
		return
	}
	c.Set(tenantKey, t)
	logOf(c).tenant = t.Name
	c.Next()
}

// tenantOf returns the tenant set by requireTenant.
func tenantOf(c *gin.Context) *tenant { return c.MustGet(tenantKey).(*tenant) }

// requireAdmin authenticates the operator for /admin routes: the Bearer
// token must equal config http.admin_key (compared in constant time over
// SHA-256 digests, so length leaks nothing either). With no admin key
// configured the admin API does not exist: every admin route answers 404.
func (s *Server) requireAdmin(c *gin.Context) {
	if !s.adminEnabled {
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "the admin API is disabled (http.admin_key is empty)"))
		return
	}
	key := bearer(c.Request)
	got := sha256.Sum256([]byte(key))
	if key == "" || subtle.ConstantTimeCompare(got[:], s.adminKeyHash[:]) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="smsbridge-admin"`)
		abort(c, errorf(http.StatusUnauthorized, CodeUnauthorized, "admin routes need Authorization: Bearer <admin key>"))
		return
	}
	logOf(c).tenant = "admin"
	c.Next()
}
