package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// cloneChannel returns a deep copy of c.
func cloneChannel(c *Channel) *Channel {
	b, err := json.Marshal(c)
	if err != nil {
		panic("registry: channel does not encode: " + err.Error())
	}
	out := new(Channel)
	if err := json.Unmarshal(b, out); err != nil {
		panic("registry: channel does not decode: " + err.Error())
	}
	return out
}

// CreateChannel stores a new channel made through the API and returns it
// as stored; its links start on every replica within a second. Keys left
// at their zero value take their defaults (FillDefaults(nil): a caller
// that refuses an explicit 0 checks with FillDefaults(given) and Validate
// first); State of c is ignored. A deleted channel of the same name
// returns (its queue with it), with the settings of c.
func (r *Registry) CreateChannel(ctx context.Context, who Actor, c Channel) (*Channel, error) {
	nc := cloneChannel(&c)
	nc.FillDefaults(nil)
	if err := nc.Validate(r.validateOptions(ManagedByAPI)); err != nil {
		return nil, invalid(err)
	}
	var out *Channel
	err := r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur := st.channels[nc.Name]
		if cur != nil && !cur.Deleted() {
			return nil, fmt.Errorf("channel %q: %w", nc.Name, ErrExists)
		}
		now := r.now().UTC()
		rec := cloneChannel(nc)
		rec.State = ChannelState{ManagedBy: ManagedByAPI, CreatedAt: now, UpdatedAt: now}
		action := "channel.create"
		if cur != nil {
			action = "channel.restore"
		}
		out = rec
		return &changeSet{channels: []*Channel{rec}, audits: []auditLine{{who: who, action: action, name: rec.Name, before: cur, after: rec}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return cloneChannel(out), nil
}

// liveChannel returns the stored channel called name that the API may
// change: ErrNotFound when there is none (or it is deleted),
// ErrManagedByConfig when config.yaml owns it.
func liveChannel(st *stored, name string) (*Channel, error) {
	cur := st.channels[name]
	if cur == nil || cur.Deleted() {
		return nil, fmt.Errorf("channel %q: %w", name, ErrNotFound)
	}
	if cur.State.ManagedBy == ManagedByConfig {
		return nil, fmt.Errorf("channel %q is in config.yaml: %w", name, ErrManagedByConfig)
	}
	return cur, nil
}

// UpdateChannel applies change to a copy of the stored channel and stores
// it if valid; every replica replaces the channel's links gracefully
// within a second. change may run more than once (when a concurrent
// change wins); the name and State cannot be changed through it.
func (r *Registry) UpdateChannel(ctx context.Context, who Actor, name string, change func(*Channel) error) (*Channel, error) {
	var out *Channel
	err := r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur, err := liveChannel(st, name)
		if err != nil {
			return nil, err
		}
		rec := cloneChannel(cur)
		if err := change(rec); err != nil {
			return nil, err
		}
		if rec.Name != name {
			return nil, invalidf("name", "cannot be changed (create a channel of the new name)")
		}
		rec.State = cur.State
		if err := rec.Validate(r.validateOptions(ManagedByAPI)); err != nil {
			return nil, invalid(err)
		}
		if err := checkRoutesTo(st, rec); err != nil {
			return nil, err
		}
		rec.State.UpdatedAt = r.now().UTC()
		out = rec
		return &changeSet{channels: []*Channel{rec}, audits: []auditLine{{who: who, action: "channel.update", name: name, before: cur, after: rec}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return cloneChannel(out), nil
}

// DeleteChannel marks a channel made through the API deleted (its links
// stop on every replica; its data stays). A channel that a tenant still
// lists is not deleted: ErrInvalid names the tenants, which must be
// changed first.
func (r *Registry) DeleteChannel(ctx context.Context, who Actor, name string) error {
	return r.mutate(ctx, func(st *stored) (*changeSet, error) {
		cur, err := liveChannel(st, name)
		if err != nil {
			return nil, err
		}
		if users := tenantsUsing(st, name); len(users) > 0 {
			return nil, invalidf("name", fmt.Sprintf("channel %q is used by tenants %s: remove it from their channels first", name, strings.Join(users, ", ")))
		}
		rec := cloneChannel(cur)
		now := r.now().UTC()
		rec.State.DeletedAt = &now
		rec.State.UpdatedAt = now
		return &changeSet{channels: []*Channel{rec}, audits: []auditLine{{who: who, action: "channel.delete", name: name, before: cur, after: rec}}}, nil
	})
}

// tenantsUsing returns the live tenants (not in skip) that list channel,
// by name.
func tenantsUsing(st *stored, channel string, skip ...map[string]bool) []string {
	var out []string
	for _, n := range sortedNames(st.tenants) {
		t := st.tenants[n]
		if t.Deleted() || !t.Allows(channel) || (len(skip) > 0 && skip[0][n]) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// checkRoutesTo refuses a change of ch (its carriers) that would leave a
// tenant's route sending a carrier to a channel that no longer reaches
// it: the tenant's routes must be changed first (as a channel in use
// cannot be deleted).
func checkRoutesTo(st *stored, ch *Channel) error {
	chans := st.channelList()
	idx := map[string]int{}
	for i := range chans {
		if chans[i].Name == ch.Name {
			chans[i] = *ch
		}
		idx[chans[i].Name] = i
	}
	var p problems
	for _, n := range sortedNames(st.tenants) {
		t := st.tenants[n]
		if t.Deleted() {
			continue
		}
		checkRoutes(t, chans, idx, func(key, msg string) {
			if strings.HasSuffix(key, "."+ch.Name) {
				p.add("carriers", "tenant %q routes to it (%s: %s): change its routes first", n, key, msg)
			}
		})
	}
	return invalid(p.err())
}
