package store

import "fmt"

// Priority orders the jobs of one tenant within a channel. The zero value
// is PriorityNormal.
//
// Each lease of a tenant's jobs is a pick (a chunk of its jobs, see
// Lease); a tenant's k-th pick takes from its low queue first when k is a
// multiple of 25, from normal (then low) first when k is a multiple of 5,
// and otherwise from the highest non-empty priority. So a steady stream of
// high-priority jobs leaves normal at least every 5th pick and low at
// least every 25th, and an empty queue never holds a pick back.
type Priority int8

// Priorities.
const (
	// PriorityNormal is the default.
	PriorityNormal Priority = 0
	// PriorityHigh goes before normal and low (see Priority for the share
	// they keep).
	PriorityHigh Priority = 1
	// PriorityLow goes after high and normal.
	PriorityLow Priority = -1
)

// String returns "high", "normal" or "low".
func (p Priority) String() string {
	switch p {
	case PriorityHigh:
		return "high"
	case PriorityLow:
		return "low"
	case PriorityNormal:
		return "normal"
	}
	return fmt.Sprintf("Priority(%d)", int8(p))
}

// code is the one-letter form used in queue keys and the request meta.
func (p Priority) code() string {
	switch p {
	case PriorityHigh:
		return "h"
	case PriorityLow:
		return "l"
	}
	return "n"
}

// valid reports whether p is one of the three priorities.
func (p Priority) valid() bool { return p >= PriorityLow && p <= PriorityHigh }

// ParsePriority parses "high", "normal" or "low"; "" is normal.
func ParsePriority(s string) (Priority, error) {
	switch s {
	case "high":
		return PriorityHigh, nil
	case "normal", "":
		return PriorityNormal, nil
	case "low":
		return PriorityLow, nil
	}
	return PriorityNormal, fmt.Errorf("%w: priority %q: want high, normal or low", ErrInvalid, s)
}
