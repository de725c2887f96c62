package store

import (
	"fmt"
	"regexp"
	"time"
)

// namePattern is the form of tenant and channel names: they are part of
// Redis keys (queues, usage, quota, rate, channel tags), so the store owns
// the rule and refuses any other tenant; the registry checks its accounts
// with ValidName.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// NameRule describes the name rule (ValidName) in error messages.
const NameRule = "must be 1-32 characters a-z, 0-9, '_' or '-', starting with a letter or digit"

// ValidName reports whether s is a valid tenant or channel name.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// CheckTenant returns an ErrInvalid error naming field when tenant is not
// a valid name (ValidName).
func CheckTenant(field, tenant string) error {
	if !ValidName(tenant) {
		return fmt.Errorf("%w: %s %q: %s", ErrInvalid, field, tenant, NameRule)
	}
	return nil
}

// Weight bounds of a tenant's fair-queue weight (NewRequest.Weight and
// the registry's Tenant.Weight), stated here once.
const (
	// DefaultWeight is the fair-queue weight of a tenant that sets none.
	DefaultWeight = 1
	// MaxWeight is the largest weight.
	MaxWeight = 100
)

// MaxUTCOffset bounds NewRequest.UTCOffset (±14 h, the widest zones).
const MaxUTCOffset = 14 * 3600

// Day returns the day number of t (days since 1970-01-01) in the zone
// utcOffset seconds east of UTC: the day of usage counters and quotas. The
// scripts compute the same (lua/lib.lua use_day).
func Day(t time.Time, utcOffset int) int {
	s := t.Unix() + int64(utcOffset)
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return int(d)
}
