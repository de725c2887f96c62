package store

import (
	"fmt"
	"regexp"
	"time"
)

// tenantPattern is the form of tenant names: they are part of Redis keys
// (queues, usage, quota, rate), so the store refuses any other.
var tenantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// CheckTenant returns an ErrInvalid error naming field when tenant is not
// 1-32 characters a-z, 0-9, '_' or '-' starting with a letter or digit.
func CheckTenant(field, tenant string) error {
	if !tenantPattern.MatchString(tenant) {
		return fmt.Errorf("%w: %s %q: must be 1-32 characters a-z, 0-9, '_' or '-', starting with a letter or digit",
			ErrInvalid, field, tenant)
	}
	return nil
}

// Weight bounds of NewRequest.Weight.
const (
	// DefaultWeight is the fair-queue weight of a request that sets none.
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
