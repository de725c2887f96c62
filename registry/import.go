package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// configActor is the actor of the changes Import makes.
var configActor = Actor{ID: "config"}

// Import makes the accounts of config.yaml the config-managed ones, then
// loads the snapshot:
//   - each is stored as ManagedByConfig (an unchanged one is left as it
//     is; a changed one keeps its CreatedAt; a config tenant's key_sha256
//     is its key "cfg-" + the first 8 hex digits of the hash; a changed
//     webhook_secret keeps signing beside the new one for SecretOverlap);
//   - config-managed accounts no longer in the file are marked deleted
//     (as DeleteTenant and DeleteChannel do).
//
// It fails, changing nothing, when a name in the file belongs to a live
// account made through the API (so a restart never silently undoes an API
// change: rename it in the file, or delete the API account first), when
// an item is invalid, or when the result would break a rule of the whole
// set (e.g. an API tenant still lists a channel removed from the file, or
// two default tenants).
func (r *Registry) Import(ctx context.Context, tenants []Tenant, channels []Channel) error {
	fileTens, fileChans, err := r.importItems(tenants, channels)
	if err != nil {
		return err
	}
	err = r.mutate(ctx, func(st *stored) (*changeSet, error) {
		now := r.now().UTC()
		ch := &changeSet{}
		inFile := map[string]bool{}
		for _, c := range fileChans {
			inFile[c.Name] = true
			cur := st.channels[c.Name]
			if cur != nil && !cur.Deleted() && cur.State.ManagedBy != ManagedByConfig {
				return nil, fmt.Errorf("registry: import: channel %q of config.yaml was made through the admin API; rename it in the file or delete it through the API first: %w", c.Name, ErrExists)
			}
			rec := cloneChannel(c)
			rec.State = ChannelState{ManagedBy: ManagedByConfig, CreatedAt: now, UpdatedAt: now}
			if cur != nil && cur.State.ManagedBy == ManagedByConfig && !cur.Deleted() {
				rec.State.CreatedAt = cur.State.CreatedAt
				if sameJSON(settingsOfChannel(cur), settingsOfChannel(rec)) {
					continue
				}
			}
			ch.channels = append(ch.channels, rec)
			ch.audits = append(ch.audits, auditLine{who: configActor, action: "channel.import", name: rec.Name, before: cur, after: rec})
		}
		for _, n := range sortedNames(st.channels) {
			cur := st.channels[n]
			if inFile[n] || cur.Deleted() || cur.State.ManagedBy != ManagedByConfig {
				continue
			}
			rec := cloneChannel(cur)
			rec.State.DeletedAt, rec.State.UpdatedAt = &now, now
			ch.channels = append(ch.channels, rec)
			ch.audits = append(ch.audits, auditLine{who: configActor, action: "channel.delete", name: n, before: cur, after: rec})
		}
		inFile = map[string]bool{}
		for _, t := range fileTens {
			inFile[t.Name] = true
			cur := st.tenants[t.Name]
			if cur != nil && !cur.Deleted() && cur.State.ManagedBy != ManagedByConfig {
				return nil, fmt.Errorf("registry: import: tenant %q of config.yaml was made through the admin API; rename it in the file or delete it through the API first: %w", t.Name, ErrExists)
			}
			rec := r.importTenant(t, cur, now)
			if cur != nil && cur.State.ManagedBy == ManagedByConfig && !cur.Deleted() &&
				sameJSON(settingsOfTenant(cur), settingsOfTenant(rec)) && sameJSON(cur.State.Keys, rec.State.Keys) {
				continue
			}
			ch.tenants = append(ch.tenants, rec)
			sum := strings.ToLower(t.KeySHA256)
			for _, k := range liveKeys(cur) {
				if !strings.EqualFold(k.SHA256, sum) {
					ch.dropKeys = append(ch.dropKeys, strings.ToLower(k.SHA256))
				}
			}
			ch.addKeys = append(ch.addKeys, [2]string{sum, t.Name + ":" + configKeyID(sum)})
			ch.audits = append(ch.audits, auditLine{who: configActor, action: "tenant.import", name: rec.Name, before: cur, after: rec})
		}
		for _, n := range sortedNames(st.tenants) {
			cur := st.tenants[n]
			if inFile[n] || cur.Deleted() || cur.State.ManagedBy != ManagedByConfig {
				continue
			}
			rec := cloneTenant(cur)
			rec.State.DeletedAt, rec.State.UpdatedAt = &now, now
			for _, k := range rec.State.Keys {
				ch.dropKeys = append(ch.dropKeys, strings.ToLower(k.SHA256))
			}
			rec.State.Keys = nil
			ch.tenants = append(ch.tenants, rec)
			ch.audits = append(ch.audits, auditLine{who: configActor, action: "tenant.delete", name: n, before: cur, after: rec})
		}
		return ch, nil
	})
	if err != nil {
		return err
	}
	return r.Load(ctx)
}

// importItems validates the items of the file (defaults applied) and
// returns copies.
func (r *Registry) importItems(tenants []Tenant, channels []Channel) ([]*Tenant, []*Channel, error) {
	o := r.validateOptions(ManagedByConfig)
	var errs []error
	var tens []*Tenant
	var chans []*Channel
	for i := range channels {
		c := cloneChannel(&channels[i])
		c.FillDefaults(nil)
		for _, e := range leaves(c.Validate(o)) {
			errs = append(errs, fmt.Errorf("channels[%d].%w", i, e))
		}
		chans = append(chans, c)
	}
	for i := range tenants {
		t := cloneTenant(&tenants[i])
		t.State = TenantState{}
		t.FillDefaults(nil)
		for _, e := range leaves(t.Validate(o)) {
			errs = append(errs, fmt.Errorf("tenants[%d].%w", i, e))
		}
		tens = append(tens, t)
	}
	flatT, flatC := make([]Tenant, len(tens)), make([]Channel, len(chans))
	for i, t := range tens {
		flatT[i] = *t
	}
	for i, c := range chans {
		flatC[i] = *c
	}
	for _, e := range CheckSet(flatT, flatC) {
		errs = append(errs, e)
	}
	if err := invalid(errs...); err != nil {
		return nil, nil, fmt.Errorf("registry: import: %w", err)
	}
	return tens, chans, nil
}

// importTenant returns the record of config tenant t, given the stored
// one (nil when none).
func (r *Registry) importTenant(t, cur *Tenant, now time.Time) *Tenant {
	rec := cloneTenant(t)
	sum := strings.ToLower(t.KeySHA256)
	rec.KeySHA256 = sum
	key := APIKey{ID: configKeyID(sum), SHA256: sum, CreatedAt: now}
	rec.State = TenantState{ManagedBy: ManagedByConfig, CreatedAt: now, UpdatedAt: now}
	if cur != nil && cur.State.ManagedBy == ManagedByConfig && !cur.Deleted() {
		rec.State.CreatedAt = cur.State.CreatedAt
		rec.State.UpdatedAt = cur.State.UpdatedAt
		for _, k := range cur.State.Keys {
			if k.SHA256 == sum {
				key.CreatedAt = k.CreatedAt
			}
		}
		if cur.State.PreviousSecret != "" && now.Before(cur.State.PreviousUntil) {
			rec.State.PreviousSecret, rec.State.PreviousUntil = cur.State.PreviousSecret, cur.State.PreviousUntil
		}
		if cur.WebhookSecret != rec.WebhookSecret {
			rec.State.PreviousSecret, rec.State.PreviousUntil = cur.WebhookSecret, now.Add(r.opts.SecretOverlap)
		}
		if !sameJSON(settingsOfTenant(cur), settingsOfTenant(rec)) || !sameJSON(cur.State.Keys, []APIKey{key}) {
			rec.State.UpdatedAt = now
		}
	}
	rec.State.Keys = []APIKey{key}
	return rec
}

// liveKeys returns the keys of t (none for nil or a deleted tenant).
func liveKeys(t *Tenant) []APIKey {
	if t == nil || t.Deleted() {
		return nil
	}
	return t.State.Keys
}

// settingsOfTenant is t without its state, for comparison.
func settingsOfTenant(t *Tenant) Tenant {
	c := *t
	c.State = TenantState{}
	return c
}

// settingsOfChannel is c without its state, for comparison.
func settingsOfChannel(c *Channel) Channel {
	x := *c
	x.State = ChannelState{}
	return x
}

func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// checkResult runs CheckSet on the stored accounts with ch applied and
// reports every problem, naming the account (mutate runs it on every
// change: the rules of the whole set hold after each).
func checkResult(st *stored, ch *changeSet) error {
	tens, chans := map[string]*Tenant{}, map[string]*Channel{}
	for n, t := range st.tenants {
		tens[n] = t
	}
	for n, c := range st.channels {
		chans[n] = c
	}
	for _, t := range ch.tenants {
		tens[t.Name] = t
	}
	for _, c := range ch.channels {
		chans[c.Name] = c
	}
	var tl []Tenant
	var cl []Channel
	for _, n := range sortedNames(tens) {
		tl = append(tl, *tens[n])
	}
	for _, n := range sortedNames(chans) {
		cl = append(cl, *chans[n])
	}
	var errs []error
	for _, e := range CheckSet(tl, cl) {
		what := strings.TrimSuffix(e.List, "s")
		errs = append(errs, fmt.Errorf("%s %q: %s", what, e.Name, e.Relative()))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("registry: %w", invalid(errs...))
}

// leaves flattens an errors.Join tree.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
