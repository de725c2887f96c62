package store

import "errors"

// Sentinel errors. Errors returned by the store wrap one of these (or a
// Redis/network error), so test them with errors.Is.
var (
	// ErrNotFound: the request, event or record does not exist (or has
	// expired).
	ErrNotFound = errors.New("store: not found")
	// ErrExists: CreateRequest was given an id that already exists.
	ErrExists = errors.New("store: request already exists")
	// ErrInvalid: an argument is malformed (empty id, bad channel name,
	// too many recipients, …). The message names the field.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrIdempotencyConflict: the Idempotency-Key was used with a
	// different request body.
	ErrIdempotencyConflict = errors.New("store: idempotency key reused with a different body")
	// ErrIdempotencyInProgress: a request with the same Idempotency-Key
	// and body is still being processed.
	ErrIdempotencyInProgress = errors.New("store: idempotent request still in progress")
	// ErrNotLeased: the event is not leased (its lease expired and it was
	// recovered, or it was acked already).
	ErrNotLeased = errors.New("store: not leased")
	// ErrUnavailable: Redis could not do the work (unreachable, timed out,
	// failing over, loading, or it ran a create after its deadline) and
	// nothing was written. Unavailable reports it and every Redis error
	// of that kind.
	ErrUnavailable = errors.New("store: Redis unavailable; nothing was written")
	// ErrOutcomeUnknown: CreateRequest could not learn whether the request
	// was stored. Redis can no longer store it when CreateRequest returns;
	// GetRequest tells which as soon as Redis answers.
	ErrOutcomeUnknown = errors.New("store: outcome unknown")
	// ErrBadReply: a script answered something this package cannot parse
	// (a bug, or a foreign script under the same SHA).
	ErrBadReply = errors.New("store: unexpected reply from Redis")
)
