package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/registry"
)

// authKey is the gin context key of the *authed of a tenant request.
const authKey = "smsbridge.auth"

// actorKey is the gin context key of the registry.Actor of an admin
// request.
const actorKey = "smsbridge.actor"

// authed is an authenticated tenant request: the tenant and the snapshot it
// was found in, so every check of the request sees one consistent view of
// the accounts.
type authed struct {
	tenant *registry.Tenant
	snap   *registry.Snapshot
	keyID  string
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

// requireTenant authenticates the tenant against the registry's snapshot:
// 401 unauthorized when the Bearer key is missing or unknown (revoked
// keys included), 403 tenant_disabled when its tenant is disabled. The
// key's use is recorded (Registry.KeyUsed: never blocks) for every request
// it authenticates, refused ones of a disabled tenant included, so the
// operator sees which keys clients still send.
func (s *Server) requireTenant(c *gin.Context) {
	key := bearer(c.Request)
	if key == "" {
		c.Header("WWW-Authenticate", `Bearer realm="smsbridge"`)
		abort(c, errorf(http.StatusUnauthorized, CodeUnauthorized, "missing Authorization: Bearer <api key>"))
		return
	}
	snap := s.registry.Snapshot()
	t, keyID, ok := snap.Authenticate(key)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="smsbridge", error="invalid_token"`)
		abort(c, errorf(http.StatusUnauthorized, CodeUnauthorized, "unknown API key"))
		return
	}
	s.registry.KeyUsed(keyID)
	logOf(c).tenant = t.Name
	if t.Disabled {
		abort(c, errorf(http.StatusForbidden, CodeTenantDisabled, "the tenant of this API key is disabled"))
		return
	}
	c.Set(authKey, &authed{tenant: t, snap: snap, keyID: keyID})
	c.Next()
}

// authOf returns what requireTenant found.
func authOf(c *gin.Context) *authed { return c.MustGet(authKey).(*authed) }

// tenantOf returns the tenant authenticated by requireTenant.
func tenantOf(c *gin.Context) *registry.Tenant { return authOf(c).tenant }

// requireAdmin authenticates the operator for /admin routes: the Bearer
// token must equal config http.admin_key (compared in constant time over
// SHA-256 digests, so length leaks nothing either). With no admin key
// configured the admin API does not exist: every admin route answers 404.
// The registry's audit log names the credential by Server.adminActor,
// never by the key.
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
	c.Set(actorKey, registry.Actor{ID: s.adminActor, RemoteAddr: c.Request.RemoteAddr})
	c.Next()
}

// actorOf returns the admin actor set by requireAdmin.
func actorOf(c *gin.Context) registry.Actor { return c.MustGet(actorKey).(registry.Actor) }
