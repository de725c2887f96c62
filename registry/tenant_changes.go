package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// cloneTenant returns a deep copy of t.
func cloneTenant(t *Tenant) *Tenant {
	b, err := json.Marshal(t)
	if err != nil {
		panic("registry: tenant does not encode: " + err.Error())
	}
	c := new(Tenant)
	if err := json.Unmarshal(b, c); err != nil {
		panic("registry: tenant does not decode: " + err.Error())
	}
	return c
}

// validateOptions returns the item validation options for accounts of
// managedBy.
func (r *Registry) validateOptions(managedBy string) ValidateOptions {
	return ValidateOptions{
		AllowPrivateNetworks:  r.opts.AllowPrivateNetworks,
		AllowEmptyChannelAddr: r.opts.AllowEmptyChannelAddr,
		ManagedBy:             managedBy,
	}
}

// checkTenantInSet checks t (a new or changed record, replacing any of its
// name) against the other stored accounts.
func checkTenantInSet(st *stored, t *Tenant) error {
	tens := st.tenantList(t.Name)
	if len(tens) > 0 && tens[len(tens)-1].Name == t.Name {
		tens[len(tens)-1] = *t
	} else {
		tens = append(tens, *t)
	}
	return invalid(setErrors(CheckSet(tens, st.channelList()), "tenants", t.Name)...)
}

// CreateTenant stores a new tenant made through the API (ManagedByAPI,
// no keys yet) and returns it as stored. Its defaults are applied
// (FillDefaults); State of t is ignored, KeySHA256 is refused (keys come
// from CreateKey). The name of a deleted tenant stays taken (ErrExists):
// its record still signs the webhooks of what it queued.
func (r *Registry) CreateTenant(ctx context.Context, who Actor, t Tenant) (*Tenant, error) {
	nt := cloneTenant(&t)
	nt.FillDefaults(nil)
	if err := nt.Validate(r.validateOptions(ManagedByAPI)); err != nil {
		return nil, invalid(err)
	}
	var out *Tenant
	err := r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur := st.tenants[nt.Name]
		if cur != nil && cur.Deleted() {
			// The record is kept so that what the deleted tenant queued is
			// still reported to it, signed with its secrets: a new tenant
			// of that name would receive those webhooks.
			return nil, fmt.Errorf("tenant %q was deleted and its name is kept for the reports of what it queued; choose another name: %w", nt.Name, ErrExists)
		}
		if cur != nil {
			return nil, fmt.Errorf("tenant %q: %w", nt.Name, ErrExists)
		}
		now := r.now().UTC()
		rec := cloneTenant(nt)
		rec.State = TenantState{ManagedBy: ManagedByAPI, CreatedAt: now, UpdatedAt: now}
		if err := checkTenantInSet(st, rec); err != nil {
			return nil, err
		}
		out = rec
		return &changeSet{tenants: []*Tenant{rec}, audits: []auditLine{{who: who, action: "tenant.create", name: rec.Name, before: cur, after: rec}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return cloneTenant(out), nil
}

// liveTenant returns the stored tenant called name that the API may
// change: ErrNotFound when there is none (or it is deleted),
// ErrManagedByConfig when config.yaml owns it.
func liveTenant(st *stored, name string) (*Tenant, error) {
	cur := st.tenants[name]
	if cur == nil || cur.Deleted() {
		return nil, fmt.Errorf("tenant %q: %w", name, ErrNotFound)
	}
	if cur.State.ManagedBy == ManagedByConfig {
		return nil, fmt.Errorf("tenant %q is in config.yaml: %w", name, ErrManagedByConfig)
	}
	return cur, nil
}

// UpdateTenant applies change to a copy of the stored tenant and stores
// it if valid. A new WebhookSecret moves the old one to
// State.PreviousSecret for SecretOverlap. change may run more than once
// (when a concurrent change wins, it is applied again to the new record);
// the name and State cannot be changed through it, and KeySHA256 must
// stay empty.
func (r *Registry) UpdateTenant(ctx context.Context, who Actor, name string, change func(*Tenant) error) (*Tenant, error) {
	var out *Tenant
	err := r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur, err := liveTenant(st, name)
		if err != nil {
			return nil, err
		}
		rec := cloneTenant(cur)
		if err := change(rec); err != nil {
			return nil, err
		}
		if rec.Name != name {
			return nil, invalidf("name", "cannot be changed (create a tenant of the new name)")
		}
		rec.State = cloneTenant(cur).State
		now := r.now().UTC()
		if rec.State.PreviousSecret != "" && !now.Before(rec.State.PreviousUntil) {
			rec.State.PreviousSecret, rec.State.PreviousUntil = "", time.Time{}
		}
		if rec.WebhookSecret != cur.WebhookSecret {
			rec.State.PreviousSecret = cur.WebhookSecret
			rec.State.PreviousUntil = now.Add(r.opts.SecretOverlap)
		}
		rec.FillDefaults(nil)
		if err := rec.Validate(r.validateOptions(ManagedByAPI)); err != nil {
			return nil, invalid(err)
		}
		if err := checkTenantInSet(st, rec); err != nil {
			return nil, err
		}
		rec.State.UpdatedAt = now
		out = rec
		return &changeSet{tenants: []*Tenant{rec}, audits: []auditLine{{who: who, action: "tenant.update", name: name, before: cur, after: rec}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return cloneTenant(out), nil
}

// DeleteTenant removes a tenant made through the API: its keys stop
// authenticating at once (on this replica when it returns, on the others
// within a second); what it queued is still sent and its webhooks signed
// (the record is kept, marked deleted and hidden, see
// Snapshot.TenantForWebhooks).
func (r *Registry) DeleteTenant(ctx context.Context, who Actor, name string) error {
	var keyIDs []string
	err := r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur, err := liveTenant(st, name)
		if err != nil {
			return nil, err
		}
		rec := cloneTenant(cur)
		now := r.now().UTC()
		rec.State.DeletedAt = &now
		rec.State.UpdatedAt = now
		ch := &changeSet{tenants: []*Tenant{rec}}
		keyIDs = keyIDs[:0]
		for _, k := range rec.State.Keys {
			ch.dropKeys = append(ch.dropKeys, strings.ToLower(k.SHA256))
			keyIDs = append(keyIDs, k.ID)
		}
		rec.State.Keys = nil
		ch.audits = []auditLine{{who: who, action: "tenant.delete", name: name, before: cur, after: rec}}
		return ch, nil
	})
	if err == nil {
		r.forgetKeys(ctx, keyIDs)
	}
	return err
}
