package api

import (
	"net/http"
	"strconv"

	"github.com/smsbridge/smsbridge/store"
)

// parsePriority reads the "priority" field (store.ParsePriority: high,
// normal or low; "" is normal) and returns its name for the canonical
// hash ("" for normal, so hashes of requests without a priority do not
// change); anything else is 422 invalid_priority.
func parsePriority(p string) (store.Priority, string, *apiError) {
	pr, err := store.ParsePriority(p)
	if err != nil {
		return store.PriorityNormal, "", errorf(http.StatusUnprocessableEntity, CodeInvalidPriority,
			`"priority" must be high, normal or low, not `+strconv.Quote(clip(p)))
	}
	if pr == store.PriorityNormal {
		return pr, "", nil
	}
	return pr, pr.String(), nil
}
