package registry

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// SetError is a problem of one item found across the whole set of
// accounts (CheckSet): a duplicate name or API key, a channel that does
// not exist, a second default tenant.
type SetError struct {
	// List is "tenants" or "channels".
	List string
	// Index is the item's index in the list given to CheckSet, or -1 for
	// the list as a whole.
	Index int
	// Name is the item's name ("" for the list as a whole).
	Name string
	// Key is the key of the item the problem is about ("name",
	// "channels", …; "" for the list as a whole).
	Key string
	// byIndex says what is wrong naming other items by index (config
	// wording), byName by name (admin API wording).
	byIndex, byName string
}

// Error names the key by its path in the lists: `tenants[1].name:
// duplicate tenant "acme" (tenants[0])`.
func (e *SetError) Error() string {
	if e.Index < 0 {
		return e.List + ": " + e.byIndex
	}
	return fmt.Sprintf("%s[%d].%s: %s", e.List, e.Index, e.Key, e.byIndex)
}

// Relative names the key relative to the item, other items by name:
// `name: duplicate tenant "acme"`, as the admin API reports it.
func (e *SetError) Relative() string {
	if e.Key == "" {
		return e.byName
	}
	return e.Key + ": " + e.byName
}

// CheckSet checks what no item can check alone: unique tenant and channel
// names, API keys unique across tenants (key_sha256 and State.Keys),
// tenant channels that exist and are not deleted, at most one default
// tenant, CMPP accounts (cmpp.account) unique across tenants, routes
// whose channels exist, are the tenant's and reach the route's carrier. Deleted
// tenants are left out (their keys and accounts no longer count).
func CheckSet(tenants []Tenant, channels []Channel) []*SetError {
	var errs []*SetError
	chans := map[string]int{}
	for i := range channels {
		ch := &channels[i]
		if j, dup := chans[ch.Name]; dup {
			errs = append(errs, &SetError{List: "channels", Index: i, Name: ch.Name, Key: "name",
				byIndex: fmt.Sprintf("duplicate channel %q (channels[%d])", ch.Name, j),
				byName:  fmt.Sprintf("duplicate channel %q", ch.Name)})
			continue
		}
		chans[ch.Name] = i
	}
	names, keys, accounts := map[string]int{}, map[string]int{}, map[string]int{}
	defaultTenant := -1
	for i := range tenants {
		t := &tenants[i]
		if t.Deleted() {
			continue
		}
		bad := func(key, byIndex, byName string) {
			errs = append(errs, &SetError{List: "tenants", Index: i, Name: t.Name, Key: key, byIndex: byIndex, byName: byName})
		}
		if j, dup := names[t.Name]; dup {
			bad("name", fmt.Sprintf("duplicate tenant %q (tenants[%d])", t.Name, j), fmt.Sprintf("duplicate tenant %q", t.Name))
		} else {
			names[t.Name] = i
		}
		hashes := tenantKeyHashes(t)
		for _, key := range slices.Sorted(maps.Keys(hashes)) {
			sum := hashes[key]
			if j, dup := keys[sum]; dup && j != i {
				bad(key, fmt.Sprintf("the same API key as tenants[%d]: tenants would share requests and signing secrets", j),
					fmt.Sprintf("the same API key as tenant %q", tenants[j].Name))
				continue
			}
			keys[sum] = i
		}
		for _, name := range t.Channels {
			j, ok := chans[name]
			switch {
			case !ok:
				bad("channels", fmt.Sprintf("unknown channel %q", name), fmt.Sprintf("unknown channel %q", name))
			case channels[j].Deleted():
				bad("channels", fmt.Sprintf("channel %q is deleted", name), fmt.Sprintf("channel %q is deleted", name))
			}
		}
		checkRoutes(t, channels, chans, func(key, msg string) { bad(key, msg, msg) })
		if t.CMPP != nil && t.CMPP.Account != "" {
			if j, dup := accounts[t.CMPP.Account]; dup {
				bad("cmpp.account", fmt.Sprintf("CMPP account %q is already tenants[%d]'s", t.CMPP.Account, j),
					fmt.Sprintf("CMPP account %q is already tenant %q's", t.CMPP.Account, tenants[j].Name))
			} else {
				accounts[t.CMPP.Account] = i
			}
		}
		if t.Default {
			if defaultTenant >= 0 {
				errs = append(errs, &SetError{List: "tenants", Index: -1, Name: t.Name, Key: "default",
					byIndex: "at most one tenant may be the default",
					byName:  fmt.Sprintf("tenant %q is already the default (at most one)", tenants[defaultTenant].Name)})
			} else {
				defaultTenant = i
			}
		}
	}
	return errs
}

// tenantKeyHashes returns the lower-case key hashes of t by the key they
// are reported under: "key_sha256" and "state.keys[i]". A config key
// present in both counts once.
func tenantKeyHashes(t *Tenant) map[string]string {
	out := map[string]string{}
	seen := map[string]bool{}
	if t.KeySHA256 != "" {
		h := strings.ToLower(t.KeySHA256)
		out["key_sha256"] = h
		seen[h] = true
	}
	for i, k := range t.State.Keys {
		h := strings.ToLower(k.SHA256)
		if seen[h] {
			continue
		}
		seen[h] = true
		out[fmt.Sprintf("state.keys[%d]", i)] = h
	}
	return out
}
