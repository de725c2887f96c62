package store

import (
	"strconv"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// The Redis job schema (job state fields, state letters, request hash
// field names, CMPP report entry fields) is defined once, in package
// store/internal/schema, and key suffixes once, in keys.go; the Lua
// scripts get the same constants from lua/schema.lua, generated from both.
// TestSchemaLuaCurrent fails while lua/schema.lua is stale.
//
//go:generate go run ./internal/genlua keys.go lua/schema.lua

// jobFields is the number of "|"-separated fields of a job state.
const jobFields = schema.JobFields

// jobStateCodes maps the state letters of the job encoding to JobState.
var jobStateCodes = map[string]JobState{
	schema.StateQueued: JobQueued, schema.StateLeased: JobLeased, schema.StateScheduled: JobScheduled,
	schema.StateSubmitted: JobSubmitted, schema.StateDelivered: JobDelivered, schema.StateFailed: JobFailed,
	schema.StateUnknown: JobUnknown, schema.StateCancelled: JobCancelled, schema.StateMoved: JobMoved,
}

// jobField is the request hash field of the state of job (r, s).
func jobField(r, s int) string { return schema.FieldJob + strconv.Itoa(r) + ":" + strconv.Itoa(s) }

// recipientField is the request hash field prefix followed by recipient r
// (schema.FieldTo, FieldRecipientDone, ...).
func recipientField(prefix string, r int) string { return prefix + strconv.Itoa(r) }
