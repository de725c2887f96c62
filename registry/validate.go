package registry

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	// The distroless image has no zone files: tenants' time zones come
	// from the copy embedded in the binary.
	_ "time/tzdata"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/carrier"
	"github.com/smsbridge/smsbridge/internal/fielderr"
	"github.com/smsbridge/smsbridge/internal/netguard"
	"github.com/smsbridge/smsbridge/store"
)

// ValidateOptions is what item validation needs beyond the item.
type ValidateOptions struct {
	// AllowPrivateNetworks lets callback URLs name loopback, private and
	// other non-public addresses (webhook.allow_private_networks).
	AllowPrivateNetworks bool
	// AllowEmptyChannelAddr accepts channels without addr (demo mode: the
	// embedded simulator's address is filled in).
	AllowEmptyChannelAddr bool
	// ManagedBy is who the item comes from: ManagedByConfig requires a
	// tenant's key_sha256, ManagedByAPI refuses it (API tenants get keys
	// through the key routes); "" checks only its form.
	ManagedBy string
}

// MaxFlushDelay is the longest flush_delay of a channel: the hold adds to
// the latency of every request.
const MaxFlushDelay = Duration(100 * time.Millisecond)

// nameRule describes the name rule in error messages. Names appear in
// Redis keys, metrics labels, logs and URLs; the store owns the rule
// (store.ValidName).
const nameRule = store.NameRule

// ValidName reports whether s is a valid tenant or channel name
// (store.ValidName).
func ValidName(s string) bool { return store.ValidName(s) }

// problems collects "key: message" errors of one item.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

func (p problems) err() error { return errors.Join(p...) }

// FillDefaults applies the channel defaults. given reports whether the
// source (file, environment or request body) set a key of the item (e.g.
// "links"): a number set to 0 stays 0 (and fails Validate) instead of
// silently becoming the default. Empty strings take their defaults, and
// flush_delay 0 is documented to mean the default. A nil given treats
// every zero as left out.
func (ch *Channel) FillDefaults(given func(key string) bool) {
	if given == nil {
		given = func(string) bool { return false }
	}
	setDefault(&ch.Version, "3.0")
	setDefault(&ch.MsgSrc, ch.SPID)
	setDefault(&ch.FeeType, "01")
	setDefault(&ch.FeeCode, "000000")
	if ch.FeeUserType == nil {
		v := uint8(2)
		ch.FeeUserType = &v
	}
	setDefaultInt(&ch.Links, DefaultLinks, given("links"))
	setDefaultInt(&ch.Window, cmpp.DefaultWindow, given("window"))
	setDefaultInt(&ch.Transmissions, cmpp.DefaultTransmissions, given("transmissions"))
	setDefaultDur(&ch.ResponseTimeout, cmpp.DefaultResponseTimeout, given("response_timeout"))
	setDefaultDur(&ch.IdleInterval, cmpp.DefaultIdleInterval, given("idle_interval"))
	setDefaultDur(&ch.ConnectTimeout, cmpp.DefaultConnectTimeout, given("connect_timeout"))
	setDefaultDur(&ch.FlushDelay, cmpp.DefaultFlushDelay, false)
	ch.Failover.FillDefaults(func(key string) bool { return given("failover." + key) })
}

// DefaultLinks is the number of links of a channel that sets none.
const DefaultLinks = 2

// MaxLinks is the largest number of links of a channel.
const MaxLinks = 64

// MaxClusterLinks is the largest max_links of a channel (its links across
// every replica).
const MaxClusterLinks = 1000

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setDefaultInt(p *int, v int, given bool) {
	if *p == 0 && !given {
		*p = v
	}
}

func setDefaultDur(p *Duration, v time.Duration, given bool) {
	if *p == 0 && !given {
		*p = Duration(v)
	}
}

// Validate checks the channel (after FillDefaults) and returns every
// problem, each naming its key relative to the item: "secret: required".
// The CMPP link's own checks (cmpp.LinkConfig.Validate) are included,
// renamed to the channel's keys.
func (ch *Channel) Validate(o ValidateOptions) error {
	var p problems
	if !ValidName(ch.Name) {
		p.add("name", "%s, not %q", nameRule, ch.Name)
	}
	if ch.Addr == "" && !o.AllowEmptyChannelAddr {
		p.add("addr", "required")
	}
	if ch.CMPPVersion() == 0 {
		p.add("version", "must be 2.0, 2.1 or 3.0, not %q", ch.Version)
	}
	if ch.Secret == "" {
		p.add("secret", "required")
	}
	if len(ch.MsgSrc) > 6 {
		p.add("msg_src", "at most 6 characters")
	}
	if ch.SrcID == "" || len(ch.SrcID) > 21 || !digits(ch.SrcID) {
		p.add("src_id", "required, digits, at most 21")
	}
	if len(ch.ServiceID) > 10 {
		p.add("service_id", "at most 10 characters")
	}
	if len(ch.FeeType) > 2 {
		p.add("fee_type", "at most 2 characters")
	}
	if len(ch.FeeCode) > 6 {
		p.add("fee_code", "at most 6 characters")
	}
	if ch.FeeUserType != nil && *ch.FeeUserType > 3 {
		p.add("fee_user_type", "must be 0..3")
	}
	if ch.Links < 1 || ch.Links > MaxLinks {
		p.add("links", "must be 1..%d", MaxLinks)
	}
	if ch.MaxLinks < 0 || ch.MaxLinks > MaxClusterLinks {
		p.add("max_links", "must be 0..%d (0 = no limit across replicas), not %d", MaxClusterLinks, ch.MaxLinks)
	}
	if ch.Window == 0 {
		p.add("window", "must be positive")
	}
	if ch.MaxSubmitsPerSec < 0 {
		p.add("max_submits_per_sec", "must not be negative")
	}
	if ch.Transmissions == 0 {
		p.add("transmissions", "must be at least 1")
	}
	if ch.FlushDelay > MaxFlushDelay {
		p.add("flush_delay", "must be at most %v (negative: write at once)", MaxFlushDelay.D())
	}
	// The owners read 0 as "the default", but a default applies only to
	// a key left out, so an explicit 0 is a mistake. Negative values are
	// reported by the link's own check.
	for _, d := range []struct {
		key string
		v   Duration
	}{{"connect_timeout", ch.ConnectTimeout}, {"idle_interval", ch.IdleInterval}, {"response_timeout", ch.ResponseTimeout}} {
		if d.v == 0 {
			p.add(d.key, "must be positive")
		}
	}
	seen := map[string]bool{}
	for j, c := range ch.Carriers {
		switch {
		case !carrier.Valid(c):
			p.add(fmt.Sprintf("carriers[%d]", j), "unknown carrier %q: must be one of %v", c, carrier.All)
		case seen[c]:
			p.add(fmt.Sprintf("carriers[%d]", j), "duplicate carrier %q", c)
		}
		seen[c] = true
	}
	link := ch.LinkConfig().Validate()
	if ch.Addr == "" {
		link = dropField(link, "Addr") // reported above, or filled in by the simulator
	}
	if ch.CMPPVersion() == 0 {
		link = dropField(link, "Version") // reported above with the accepted spellings
	}
	p = append(p, renameFields(link, linkKeys)...)
	p = append(p, ch.Failover.validate()...)
	return p.err()
}

// linkKeys maps cmpp.LinkConfig fields to the keys of a channel.
var linkKeys = map[string]string{
	"Addr": "addr", "SPID": "sp_id", "Secret": "secret", "Version": "version",
	"ConnectTimeout": "connect_timeout", "Window": "window", "ResponseTimeout": "response_timeout",
	"Transmissions": "transmissions", "IdleInterval": "idle_interval", "FlushDelay": "flush_delay",
}

// renameFields names the *fielderr.Error leaves of err by keys; others
// keep the owner's message.
func renameFields(err error, keys map[string]string) []error {
	var out []error
	for _, e := range fielderr.Split(err) {
		var fe *fielderr.Error
		if errors.As(e, &fe) {
			if key, ok := keys[fe.Field]; ok {
				out = append(out, fmt.Errorf("%s: %w", key, fe.Err))
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// dropField removes the problems of field from err.
func dropField(err error, field string) error {
	var keep []error
	for _, e := range fielderr.Split(err) {
		var fe *fielderr.Error
		if errors.As(e, &fe) && fe.Field == field {
			continue
		}
		keep = append(keep, e)
	}
	return errors.Join(keep...)
}

// FillDefaults applies the tenant defaults: Weight store.DefaultWeight
// and TimeZone DefaultTimeZone when unset, and those of its cmpp block
// (CMPPAccess.FillDefaults). given reports whether the source set a key
// of the item (e.g. "weight", "cmpp.max_links"): a number set to 0 stays
// 0 (and fails Validate) instead of silently becoming the default. A nil
// given treats every zero as left out.
func (t *Tenant) FillDefaults(given func(key string) bool) {
	if given == nil {
		given = func(string) bool { return false }
	}
	if t.Weight == 0 && !given("weight") {
		t.Weight = store.DefaultWeight
	}
	setDefault(&t.TimeZone, DefaultTimeZone)
	if t.CMPP != nil {
		t.CMPP.FillDefaults(func(key string) bool { return given("cmpp." + key) })
	}
}

// Validate checks the tenant (after FillDefaults) on its own and returns
// every problem, each naming its key relative to the item:
// "webhook_secret: required, …". Whether its channels exist is checked
// over the whole set (CheckSet).
func (t *Tenant) Validate(o ValidateOptions) error {
	var p problems
	if !ValidName(t.Name) {
		p.add("name", "%s, not %q", nameRule, t.Name)
	}
	switch {
	case t.KeySHA256 != "" && o.ManagedBy == ManagedByAPI:
		p.add("key_sha256", "set only in config.yaml; create keys with POST /admin/tenants/{name}/keys")
	case t.KeySHA256 != "" || o.ManagedBy == ManagedByConfig:
		if b, err := hex.DecodeString(t.KeySHA256); err != nil || len(b) != 32 {
			p.add("key_sha256", "must be 64 hex digits (SHA-256 of the API key)")
		}
	}
	if len(t.WebhookSecret) < MinSecretLen {
		p.add("webhook_secret", "required, at least %d bytes (e.g. `openssl rand -hex 32`)", MinSecretLen)
	}
	for j, h := range t.WebhookHosts {
		if err := netguard.ValidHostPattern(h); err != nil {
			p.add(fmt.Sprintf("webhook_hosts[%d]", j), "%v", err)
		}
	}
	if t.CallbackURL != "" {
		checkCallbackURL(t, o, &p)
	}
	if len(t.Channels) == 0 {
		p.add("channels", "at least one channel")
	}
	for j, name := range t.Channels {
		if !ValidName(name) {
			p.add(fmt.Sprintf("channels[%d]", j), "%s, not %q", nameRule, name)
		}
	}
	if t.MOExt != "" && !digits(t.MOExt) {
		p.add("mo_ext", "digits only")
	}
	if t.WebhookBatchMax < 0 || t.WebhookBatchMax > MaxWebhookBatch {
		p.add("webhook_batch_max", "must be 0..%d (0 or 1: one event per POST), not %d", MaxWebhookBatch, t.WebhookBatchMax)
	}
	if t.Limits.MaxRequestsPerSec < 0 {
		p.add("limits.max_requests_per_sec", "must not be negative")
	}
	if t.Limits.MaxSegmentsPerDay < 0 {
		p.add("limits.max_segments_per_day", "must not be negative")
	}
	if t.TimeZone != "" {
		if _, err := loadLocation(t.TimeZone); err != nil {
			p.add("time_zone", "unknown IANA time zone %q (e.g. Asia/Shanghai)", t.TimeZone)
		}
	}
	if t.Weight < 1 || t.Weight > store.MaxWeight {
		p.add("weight", "must be 1..%d, not %d", store.MaxWeight, t.Weight)
	}
	t.Routes.validateForm(&p)
	if t.CMPP != nil {
		for _, e := range leaves(t.CMPP.Validate()) {
			p = append(p, fmt.Errorf("cmpp.%w", e))
		}
	}
	return p.err()
}

// checkCallbackURL checks t's callback_url with the webhook address
// policy (see netguard.CheckURL).
func checkCallbackURL(t *Tenant, o ValidateOptions, p *problems) {
	err := netguard.CheckURL(t.CallbackURL, netguard.Policy{AllowPrivate: o.AllowPrivateNetworks, Hosts: t.WebhookHosts})
	var fe *netguard.ForbiddenError
	switch {
	case errors.As(err, &fe) && !fe.NotListed:
		p.add("callback_url", "%v (set webhook.allow_private_networks: true for a receiver on a private network)", err)
	case errors.As(err, &fe):
		p.add("callback_url", "%v", err)
	case err != nil:
		p.add("callback_url", "must be an http(s) URL: %v", err)
	}
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
