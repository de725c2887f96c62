package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/registry"
)

// abortRegistry answers the error of a registry change: an *apiError of
// the route as is; registry.ErrNotFound 404 not_found; ErrExists and
// ErrConflict 409 conflict; ErrManagedByConfig 409 managed_by_config;
// ErrInvalid 422 invalid_field (its message lists every field problem);
// anything else as a store error (503 when Redis failed, else 500).
func abortRegistry(c *gin.Context, err error) {
	var ae *apiError
	msg := registryMessage(err)
	switch {
	case errors.As(err, &ae):
		abort(c, ae)
	case errors.Is(err, registry.ErrNotFound):
		abort(c, errorf(http.StatusNotFound, CodeNotFound, msg))
	case errors.Is(err, registry.ErrExists), errors.Is(err, registry.ErrConflict):
		abort(c, errorf(http.StatusConflict, CodeConflict, msg))
	case errors.Is(err, registry.ErrManagedByConfig):
		abort(c, errorf(http.StatusConflict, CodeManagedByConfig, msg))
	case errors.Is(err, registry.ErrInvalid):
		abort(c, errorf(http.StatusUnprocessableEntity, CodeInvalidField, msg))
	default:
		abortInternal(c, err)
	}
}

// registryMessage is the text of a registry error for the client, without
// the package's "registry: " prefixes.
func registryMessage(err error) string {
	msg := err.Error()
	for {
		rest, ok := strings.CutPrefix(msg, "registry: ")
		if !ok {
			return msg
		}
		msg = rest
	}
}

// invalidField is a 422 invalid_field naming its field.
func invalidField(field, problem string) *apiError {
	return errorf(http.StatusUnprocessableEntity, CodeInvalidField, field+": "+problem)
}
