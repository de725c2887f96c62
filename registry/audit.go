package registry

import (
	"encoding/json"
)

// redacted replaces every secret in the audit log.
const redacted = "[redacted]"

// auditLine is one change of the audit log: who did what to which
// account, with the record before and after (nil when there is none).
type auditLine struct {
	who    Actor
	action string // tenant.create, key.revoke, channel.delete, …
	name   string // the account's name
	keyID  string // key.create and key.revoke: the key's id
	before any    // *Tenant, *Channel or nil
	after  any
}

// audit logs a (stored) change at info: component=registry, the actor's
// id and address, the action, the name, and before/after as JSON with
// every secret replaced by "[redacted]" (key hashes are kept: they are
// not keys).
func (r *Registry) audit(a auditLine) {
	ev := r.log.Info().Str("actor", a.who.ID).Str("remote_addr", a.who.RemoteAddr).
		Str("action", a.action).Str("name", a.name)
	if a.keyID != "" {
		ev = ev.Str("key_id", a.keyID)
	}
	ev.RawJSON("before", redactJSON(a.before)).RawJSON("after", redactJSON(a.after)).Msg("account changed")
}

// redactJSON encodes a record with its secrets redacted ("null" for nil).
func redactJSON(v any) []byte {
	switch x := v.(type) {
	case *Tenant:
		if x == nil {
			return []byte("null")
		}
		c := *x
		if c.WebhookSecret != "" {
			c.WebhookSecret = redacted
		}
		if c.State.PreviousSecret != "" {
			c.State.PreviousSecret = redacted
		}
		if c.CMPP != nil {
			a := *c.CMPP
			if a.Secret != "" {
				a.Secret = redacted
			}
			c.CMPP = &a
		}
		v = &c
	case *Channel:
		if x == nil {
			return []byte("null")
		}
		c := *x
		if c.Secret != "" {
			c.Secret = redacted
		}
		v = &c
	case nil:
		return []byte("null")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}
