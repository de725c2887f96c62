package api

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// Code is a stable, snake_case error code returned in every error body
// {"code": "...", "message": "..."}. Clients branch on Code, never on
// Message (which is for humans and may change). openapi.yaml lists them all.
type Code string

// Error codes, grouped by HTTP status.
const (
	// 400
	CodeMalformedJSON Code = "malformed_json" // body is not a JSON object of the documented shape (syntax, types, trailing data)
	CodeUnknownField  Code = "unknown_field"  // body has a field the API does not know (a typo must not be ignored)
	CodeInvalidParam  Code = "invalid_parameter"

	// 401
	CodeUnauthorized Code = "unauthorized" // missing, malformed or unknown Bearer key

	// 403
	CodeChannelNotAllowed Code = "channel_not_allowed" // channel exists but the tenant may not use it

	// 404
	CodeNotFound      Code = "not_found"       // no such request for this tenant (other tenants' ids included), or admin disabled
	CodeRouteNotFound Code = "route_not_found" // no such route

	// 405
	CodeMethodNotAllowed Code = "method_not_allowed"

	// 409
	CodeIdempotencyConflict   Code = "idempotency_conflict"    // Idempotency-Key reused with another body
	CodeIdempotencyInProgress Code = "idempotency_in_progress" // first request with this key still running
	CodeAlreadyFinal          Code = "already_final"           // DELETE of a request that is already final

	// 413
	CodeBodyTooLarge Code = "body_too_large"

	// 415
	CodeUnsupportedMediaType Code = "unsupported_media_type"

	// 422
	CodeToEmpty               Code = "to_empty"              // "to" missing or empty
	CodeTooManyRecipients     Code = "too_many_recipients"   // more than MaxRecipients distinct numbers
	CodeInvalidNumber         Code = "invalid_number"        // a number is not a Chinese mobile number
	CodeContentEmpty          Code = "content_empty"         // "content" missing or empty
	CodeContentTooLong        Code = "content_too_long"      // needs more segments than text.max_segments
	CodeContentNotEncodable   Code = "content_not_encodable" // a character cannot be carried by the requested encoding
	CodeInvalidEncoding       Code = "invalid_encoding"      // not auto, ucs2, gbk or ascii
	CodeInvalidExt            Code = "invalid_ext"           // not digits, or Src_Id+ext longer than 21
	CodeInvalidCallbackURL    Code = "invalid_callback_url"  // not an absolute http(s) URL
	CodeInvalidClientRef      Code = "invalid_client_ref"    // longer than 64 characters or with control characters
	CodeUnknownChannel        Code = "unknown_channel"       // no channel of that name is configured
	CodeInvalidIdempotencyKey Code = "invalid_idempotency_key"

	// 500, 503
	CodeInternal    Code = "internal_error"
	CodeUnavailable Code = "unavailable" // Redis unreachable or timed out
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	// Code is stable and machine-readable.
	Code Code `json:"code"`
	// Message explains the error to a human; it never contains phone
	// numbers or message content.
	Message string `json:"message"`
}

// apiError is an error that knows its HTTP status and code.
type apiError struct {
	status int
	code   Code
	msg    string
}

func (e *apiError) Error() string { return string(e.code) + ": " + e.msg }

// errorf builds an *apiError.
func errorf(status int, code Code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg}
}

// abort writes the error body and stops the handler chain.
func abort(c *gin.Context, e *apiError) {
	setLogError(c, e.code)
	c.AbortWithStatusJSON(e.status, ErrorBody{Code: e.code, Message: e.msg})
}

// abortInternal answers 500 (or 503 when the store is unreachable) and logs
// err on the access line; the client sees no internal detail.
func abortInternal(c *gin.Context, err error) {
	logOf(c).err = err
	if isUnavailable(err) {
		abort(c, errorf(http.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; retry later"))
		return
	}
	abort(c, errorf(http.StatusInternalServerError, CodeInternal, "internal error"))
}

// isUnavailable reports whether err means the store could not be reached
// (network error, pool exhausted, deadline, client gone) rather than a bug.
func isUnavailable(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) || errors.As(err, &ne)
}
