package api

import (
	"net/http"
	"strconv"

	"github.com/smsbridge/smsbridge/store"
)

// Values of SendRequest.Priority.
const (
	// PriorityHigh is for verification codes and other urgent texts.
	PriorityHigh = "high"
	// PriorityNormal is the default.
	PriorityNormal = "normal"
	// PriorityLow is for bulk sends.
	PriorityLow = "low"
)

// parsePriority reads the "priority" field: "" and "normal" are
// store.PriorityNormal (name ""), "high" and "low" the others (name as
// given, for the canonical hash); anything else is 422 invalid_priority.
func parsePriority(p string) (store.Priority, string, *apiError) {
	switch p {
	case "", PriorityNormal:
		return store.PriorityNormal, "", nil
	case PriorityHigh:
		return store.PriorityHigh, p, nil
	case PriorityLow:
		return store.PriorityLow, p, nil
	}
	return store.PriorityNormal, "", errorf(http.StatusUnprocessableEntity, CodeInvalidPriority,
		`"priority" must be high, normal or low, not `+strconv.Quote(clip(p)))
}
