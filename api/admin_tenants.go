package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/webhook"
)

// TenantBody is the body of POST /admin/tenants, and the fields a PATCH
// /admin/tenants/{name} may merge (RFC 7386: a field left out stays, null
// resets it to its default). Fields left out take the registry's defaults
// (see registry.Tenant for each).
type TenantBody struct {
	// Name identifies the tenant (not changeable by PATCH).
	Name string `json:"name"`
	// Channels the tenant may use; the first is its default.
	Channels []string `json:"channels"`
	// CallbackURL is the default webhook URL.
	CallbackURL string `json:"callback_url"`
	// WebhookSecret signs webhooks; in a PATCH, a new one rotates it (the
	// previous one keeps signing for the registry's overlap). Never
	// returned.
	WebhookSecret string `json:"webhook_secret"`
	// MOExt routes MO messages whose extension starts with it here.
	MOExt string `json:"mo_ext"`
	// Default takes the MO messages no other tenant takes.
	Default bool `json:"default"`
	// WebhookBatchMax batches webhooks above 1.
	WebhookBatchMax int `json:"webhook_batch_max"`
	// WebhookHosts narrows the hosts callback URLs may name.
	WebhookHosts []string `json:"webhook_hosts"`
	// Limits caps the tenant's traffic (0 = no limit).
	Limits registry.Limits `json:"limits"`
	// TimeZone is the IANA zone of the tenant's days.
	TimeZone string `json:"time_zone"`
	// Weight is the tenant's share of a busy channel.
	Weight int `json:"weight"`
	// Disabled refuses the tenant's API keys (403 tenant_disabled).
	Disabled bool `json:"disabled"`
	// CMPP, when set, lets the tenant's CMPP client log in to the CMPP
	// server (see registry.CMPPAccess); in a PATCH, an object is merged
	// key by key into the current block and null removes the access
	// (closing its links). Its secret is never returned.
	CMPP *registry.CMPPAccess `json:"cmpp"`
	// Routes send each recipient by its carrier: carrier code or "*" →
	// ordered groups of channel → weight (see registry.Routes); in a
	// PATCH, merged carrier by carrier ("cmcc": null drops that route).
	Routes registry.Routes `json:"routes"`
}

// TenantView is how the admin API shows a tenant: its settings without
// any secret, its keys without the keys.
type TenantView struct {
	Name        string   `json:"name"`
	Channels    []string `json:"channels"`
	CallbackURL string   `json:"callback_url"`
	// WebhookSecretSet is true when a webhook secret is set (the secret is
	// never shown).
	WebhookSecretSet bool `json:"webhook_secret_set"`
	// PreviousSecretUntil is when the previous webhook secret stops
	// signing (absent when no rotation is under way).
	PreviousSecretUntil *webhook.Time   `json:"previous_secret_until,omitempty"`
	MOExt               string          `json:"mo_ext"`
	Default             bool            `json:"default"`
	WebhookBatchMax     int             `json:"webhook_batch_max"`
	WebhookHosts        []string        `json:"webhook_hosts"`
	Limits              registry.Limits `json:"limits"`
	// TimeZone is the zone the tenant's days are counted in.
	TimeZone string `json:"time_zone"`
	Weight   int    `json:"weight"`
	Disabled bool   `json:"disabled"`
	// CMPP is the tenant's CMPP access without its secret (absent when it
	// has none).
	CMPP *CMPPView `json:"cmpp,omitempty"`
	// Routes are the tenant's routes by carrier ({} when it has none).
	Routes registry.Routes `json:"routes"`
	// ManagedBy is "config" (read-only here) or "api".
	ManagedBy string `json:"managed_by"`
	// Keys are the tenant's API keys, oldest first.
	Keys      []KeyView    `json:"keys"`
	CreatedAt webhook.Time `json:"created_at"`
	UpdatedAt webhook.Time `json:"updated_at"`
}

// CMPPView is how the admin API shows a tenant's CMPP access: the block
// as stored (defaults filled), the secret replaced by SecretSet.
type CMPPView struct {
	Account string `json:"account"`
	// SecretSet is true when a secret is set (the secret is never shown).
	SecretSet        bool     `json:"secret_set"`
	MaxLinks         int      `json:"max_links"`
	MaxSubmitsPerSec int      `json:"max_submits_per_sec"`
	AllowedIPs       []string `json:"allowed_ips"`
	Version          string   `json:"version"`
	ServiceCode      string   `json:"service_code"`
}

// cmppView renders a (nil for none).
func cmppView(a *registry.CMPPAccess) *CMPPView {
	if a == nil {
		return nil
	}
	return &CMPPView{
		Account: a.Account, SecretSet: a.Secret != "", MaxLinks: a.MaxLinks, MaxSubmitsPerSec: a.MaxSubmitsPerSec,
		AllowedIPs: nonNil(a.AllowedIPs), Version: a.Version, ServiceCode: a.ServiceCode,
	}
}

// KeyView is one API key of a tenant, without the key.
type KeyView struct {
	// ID names the key (DELETE /admin/tenants/{name}/keys/{id}).
	ID        string       `json:"id"`
	CreatedAt webhook.Time `json:"created_at"`
	// LastUsedAt is when the key last authenticated a request (to about
	// a minute), null when never.
	LastUsedAt *webhook.Time `json:"last_used_at"`
}

// TenantList is the body of GET /admin/tenants.
type TenantList struct {
	// Tenants are by name.
	Tenants []TenantView `json:"tenants"`
}

// NewKeyResponse is the 201 body of POST /admin/tenants/{name}/keys: the
// only time the key is shown.
type NewKeyResponse struct {
	ID        string       `json:"id"`
	Key       string       `json:"key"`
	CreatedAt webhook.Time `json:"created_at"`
}

// tenantFromBody is the tenant b describes (as sent; the registry fills
// defaults and validates).
func tenantFromBody(b *TenantBody) registry.Tenant {
	return registry.Tenant{
		Name: b.Name, Channels: b.Channels, CallbackURL: b.CallbackURL, WebhookSecret: b.WebhookSecret,
		MOExt: b.MOExt, Default: b.Default, WebhookBatchMax: b.WebhookBatchMax, WebhookHosts: b.WebhookHosts,
		Limits: b.Limits, TimeZone: b.TimeZone, Weight: b.Weight, Disabled: b.Disabled, CMPP: b.CMPP,
		Routes: b.Routes,
	}
}

// bodyOfTenant is the editable part of t (secrets included: they are
// merged, never answered).
func bodyOfTenant(t *registry.Tenant) TenantBody {
	return TenantBody{
		Name: t.Name, Channels: t.Channels, CallbackURL: t.CallbackURL, WebhookSecret: t.WebhookSecret,
		MOExt: t.MOExt, Default: t.Default, WebhookBatchMax: t.WebhookBatchMax, WebhookHosts: t.WebhookHosts,
		Limits: t.Limits, TimeZone: t.TimeZone, Weight: t.Weight, Disabled: t.Disabled, CMPP: t.CMPP,
		Routes: t.Routes,
	}
}

// applyTenantBody sets the editable fields of t from b, keeping its state.
func applyTenantBody(t *registry.Tenant, b *TenantBody) {
	st, key := t.State, t.KeySHA256
	*t = tenantFromBody(b)
	t.State, t.KeySHA256 = st, key
}

// tenantView renders t (as stored: defaults filled) at now; lastUsed maps
// key ids to their last use.
func tenantView(t *registry.Tenant, lastUsed map[string]time.Time, now time.Time) TenantView {
	v := TenantView{
		Name: t.Name, Channels: nonNil(t.Channels), CallbackURL: t.CallbackURL,
		WebhookSecretSet: t.WebhookSecret != "",
		MOExt:            t.MOExt, Default: t.Default, WebhookBatchMax: t.WebhookBatchMax,
		WebhookHosts: nonNil(t.WebhookHosts), Limits: t.Limits,
		TimeZone: t.TimeZone, Weight: t.Weight, Disabled: t.Disabled, CMPP: cmppView(t.CMPP), Routes: routesView(t.Routes),
		ManagedBy: t.State.ManagedBy, Keys: make([]KeyView, 0, len(t.State.Keys)),
		CreatedAt: webhook.Time{Time: t.State.CreatedAt}, UpdatedAt: webhook.Time{Time: t.State.UpdatedAt},
	}
	if v.TimeZone == "" {
		v.TimeZone = registry.DefaultTimeZone
	}
	if t.State.PreviousSecret != "" && now.Before(t.State.PreviousUntil) {
		v.PreviousSecretUntil = &webhook.Time{Time: t.State.PreviousUntil}
	}
	for _, k := range t.State.Keys {
		v.Keys = append(v.Keys, KeyView{ID: k.ID, CreatedAt: webhook.Time{Time: k.CreatedAt}, LastUsedAt: timePtr(lastUsed[k.ID])})
	}
	return v
}

// nonNil returns s, or an empty slice for nil (so JSON shows []).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// keyIDs lists the key ids of tenants.
func keyIDs(tenants ...*registry.Tenant) []string {
	var ids []string
	for _, t := range tenants {
		for _, k := range t.State.Keys {
			ids = append(ids, k.ID)
		}
	}
	return ids
}

// lastUsed reads the last use of the keys of tenants (no Redis call when
// they have none).
func (s *Server) lastUsed(ctx context.Context, tenants ...*registry.Tenant) (map[string]time.Time, error) {
	ids := keyIDs(tenants...)
	if len(ids) == 0 {
		return nil, nil
	}
	return s.registry.KeysLastUsed(ctx, ids)
}

// answerTenant answers status with the view of t.
func (s *Server) answerTenant(c *gin.Context, status int, t *registry.Tenant) {
	used, err := s.lastUsed(c.Request.Context(), t)
	if err != nil {
		abortInternal(c, err)
		return
	}
	c.JSON(status, tenantView(t, used, s.now()))
}

// listTenants handles GET /admin/tenants.
func (s *Server) listTenants(c *gin.Context) {
	snap := s.registry.Snapshot()
	tenants := snap.Tenants()
	used, err := s.lastUsed(c.Request.Context(), tenants...)
	if err != nil {
		abortInternal(c, err)
		return
	}
	now := s.now()
	out := TenantList{Tenants: make([]TenantView, 0, len(tenants))}
	for _, t := range tenants {
		out.Tenants = append(out.Tenants, tenantView(t, used, now))
	}
	c.JSON(http.StatusOK, out)
}

// createTenant handles POST /admin/tenants: 201 with the tenant as stored
// (no keys yet: POST …/keys makes them).
func (s *Server) createTenant(c *gin.Context) {
	var b TenantBody
	fields, e := readObject(c, s.maxBody, &b)
	if e != nil {
		abort(c, e)
		return
	}
	if e := explicitTenantZeros(fields, &b); e != nil {
		abort(c, e)
		return
	}
	t, err := s.registry.CreateTenant(c.Request.Context(), actorOf(c), tenantFromBody(&b))
	if err != nil {
		abortRegistry(c, err)
		return
	}
	c.Header("Location", "/admin/tenants/"+t.Name)
	s.answerTenant(c, http.StatusCreated, t)
}

// snapTenant returns the tenant named by the path, or answers 404.
func (s *Server) snapTenant(c *gin.Context) (*registry.Snapshot, *registry.Tenant, bool) {
	snap := s.registry.Snapshot()
	name := c.Param("name")
	t, ok := snap.Tenant(name)
	if !ok {
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no tenant named "+quote(name)))
		return nil, nil, false
	}
	return snap, t, true
}

// getTenant handles GET /admin/tenants/{name}.
func (s *Server) getTenant(c *gin.Context) {
	if _, t, ok := s.snapTenant(c); ok {
		s.answerTenant(c, http.StatusOK, t)
	}
}

// explicitTenantZeros refuses a weight or cmpp.max_links the body (b,
// with its members fields) sets to 0: the registry reads 0 as "the
// default", which only a number left out (or, in a PATCH, null) means,
// like the explicit zeros of config.yaml.
func explicitTenantZeros(fields map[string]any, b *TenantBody) *apiError {
	if v, ok := fields["weight"]; ok && v != nil && b.Weight == 0 {
		return invalidField("weight", fmt.Sprintf("must be 1..%d, not 0 (leave it out for the default, %d)", store.MaxWeight, store.DefaultWeight))
	}
	if sub, ok := fields["cmpp"].(map[string]any); ok && b.CMPP != nil {
		if v, ok := sub["max_links"]; ok && v != nil && b.CMPP.MaxLinks == 0 {
			return invalidField("cmpp.max_links", fmt.Sprintf("must be 1..%d, not 0 (leave it out for the default, %d)", registry.MaxCMPPLinks, registry.DefaultCMPPMaxLinks))
		}
	}
	return nil
}

// patchTenant handles PATCH /admin/tenants/{name}: a JSON merge patch of
// TenantBody's fields over the stored tenant. A new webhook_secret
// rotates the secret (the previous one signs too until
// previous_secret_until); "cmpp": null removes the CMPP access, a cmpp
// object is merged into the current block (a new cmpp.secret has no
// overlap: the account's links close and log in again with it).
func (s *Server) patchTenant(c *gin.Context) {
	name := c.Param("name")
	var check TenantBody
	patch, e := readObject(c, s.maxBody, &check)
	if e != nil {
		abort(c, e)
		return
	}
	if e := explicitTenantZeros(patch, &check); e != nil {
		abort(c, e)
		return
	}
	t, err := s.registry.UpdateTenant(c.Request.Context(), actorOf(c), name, func(t *registry.Tenant) error {
		var b TenantBody
		if _, err := patchBody(bodyOfTenant(t), patch, &b); err != nil {
			return err
		}
		if b.Name != t.Name {
			return invalidField("name", "cannot be changed")
		}
		applyTenantBody(t, &b)
		return nil
	})
	if err != nil {
		abortRegistry(c, err)
		return
	}
	s.answerTenant(c, http.StatusOK, t)
}

// deleteTenant handles DELETE /admin/tenants/{name}: 204; its keys stop
// authenticating at once.
func (s *Server) deleteTenant(c *gin.Context) {
	if err := s.registry.DeleteTenant(c.Request.Context(), actorOf(c), c.Param("name")); err != nil {
		abortRegistry(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// createKey handles POST /admin/tenants/{name}/keys: 201 with the new key,
// shown this once.
func (s *Server) createKey(c *gin.Context) {
	key, meta, err := s.registry.CreateKey(c.Request.Context(), actorOf(c), c.Param("name"))
	if err != nil {
		abortRegistry(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, NewKeyResponse{ID: meta.ID, Key: key, CreatedAt: webhook.Time{Time: meta.CreatedAt}})
}

// revokeKey handles DELETE /admin/tenants/{name}/keys/{key_id}: 204; the
// key stops authenticating at once.
func (s *Server) revokeKey(c *gin.Context) {
	if err := s.registry.RevokeKey(c.Request.Context(), actorOf(c), c.Param("name"), c.Param("key_id")); err != nil {
		abortRegistry(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
