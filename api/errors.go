package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/store"
)

// Code is a stable, snake_case error code returned in every error body
// {"code": "...", "message": "..."}. Clients branch on Code, never on
// Message (which is for humans and may change). openapi.yaml lists them all.
type Code string

// Error codes, grouped by HTTP status.
const (
	// CodeMalformedJSON (400): the body is not one JSON object of the
	// documented shape (syntax, wrong types, trailing data, empty body).
	CodeMalformedJSON Code = "malformed_json"
	// CodeUnknownField (400): the body has a field the API does not know;
	// a misspelt optional field must not be silently ignored.
	CodeUnknownField Code = "unknown_field"
	// CodeInvalidParam (400): a query parameter of an admin route is
	// missing or out of range.
	CodeInvalidParam Code = "invalid_parameter"
	// CodeDuplicateKey (400): an object of the body has the same key
	// twice, or two keys equal but for case ("to" and "To"), which JSON
	// decoding would silently merge into one field.
	CodeDuplicateKey Code = "duplicate_key"
	// CodeMalformedCSV (400): POST /admin/portability: the body could not
	// be read.
	CodeMalformedCSV Code = "malformed_csv"
	// CodeInvalidIdempotencyKey (400): Idempotency-Key is repeated, empty,
	// longer than 255 characters or not visible ASCII.
	CodeInvalidIdempotencyKey Code = "invalid_idempotency_key"

	// CodeUnauthorized (401): missing, malformed or unknown Bearer key.
	CodeUnauthorized Code = "unauthorized"

	// CodeChannelNotAllowed (403): the channel exists but the tenant may
	// not use it.
	CodeChannelNotAllowed Code = "channel_not_allowed"
	// CodeTenantDisabled (403): the API key is valid but its tenant is
	// disabled.
	CodeTenantDisabled Code = "tenant_disabled"

	// CodeNotFound (404): no such request for this tenant (other tenants'
	// ids included), no such dead-lettered event, tenant, channel or API
	// key (admin routes), or the admin API is disabled.
	CodeNotFound Code = "not_found"
	// CodeRouteNotFound (404): no route matches the path.
	CodeRouteNotFound Code = "route_not_found"

	// CodeMethodNotAllowed (405): the path exists, not with this method.
	CodeMethodNotAllowed Code = "method_not_allowed"

	// CodeIdempotencyConflict (409): Idempotency-Key reused with another
	// request body.
	CodeIdempotencyConflict Code = "idempotency_conflict"
	// CodeIdempotencyInProgress (409): the first request with this
	// Idempotency-Key is still being processed.
	CodeIdempotencyInProgress Code = "idempotency_in_progress"
	// CodeAlreadyFinal (409): DELETE of a request that is already final.
	CodeAlreadyFinal Code = "already_final"
	// CodeConflict (409): admin routes: the name is taken, a concurrent
	// change won (retry), or the target channel of a drain is deleted.
	CodeConflict Code = "conflict"
	// CodeManagedByConfig (409): admin routes: the tenant or channel comes
	// from config.yaml and is read-only through the API.
	CodeManagedByConfig Code = "managed_by_config"
	// CodeChannelActive (409): drain-to or fail-queued of a channel that
	// is not deleted (delete it first: its links must be stopped).
	CodeChannelActive Code = "channel_active"

	// CodeBodyTooLarge (413): the body exceeds http.max_body_bytes.
	CodeBodyTooLarge Code = "body_too_large"

	// CodeUnsupportedMediaType (415): Content-Type is not application/json
	// (with an optional utf-8 charset).
	CodeUnsupportedMediaType Code = "unsupported_media_type"

	// CodeInvalidText (422): a string of the body is not valid UTF-8 or
	// holds an unpaired UTF-16 surrogate escape ("\ud800"); the message
	// names the field.
	CodeInvalidText Code = "invalid_text"
	// CodeToEmpty (422): "to" is missing or empty.
	CodeToEmpty Code = "to_empty"
	// CodeTooManyRecipients (422): "to" has more than MaxRecipients entries.
	CodeTooManyRecipients Code = "too_many_recipients"
	// CodeInvalidNumber (422): a number is not a mainland mobile number
	// (13x–19x); the message lists the index of every bad entry.
	CodeInvalidNumber Code = "invalid_number"
	// CodeContentEmpty (422): "content" is missing, empty, or only white
	// space, control and format characters.
	CodeContentEmpty Code = "content_empty"
	// CodeContentTooLong (422): the content needs more segments than
	// text.max_segments.
	CodeContentTooLong Code = "content_too_long"
	// CodeContentNotEncodable (422): a character cannot be carried by the
	// requested encoding.
	CodeContentNotEncodable Code = "content_not_encodable"
	// CodeInvalidEncoding (422): "encoding" is not auto, ucs2, gbk or ascii.
	CodeInvalidEncoding Code = "invalid_encoding"
	// CodeInvalidExt (422): "ext" is not digits, or the channel's Src_Id
	// plus ext is longer than 21.
	CodeInvalidExt Code = "invalid_ext"
	// CodeInvalidCallbackURL (422): "callback_url" is not an absolute
	// http(s) URL of at most 2048 bytes.
	CodeInvalidCallbackURL Code = "invalid_callback_url"
	// CodeCallbackURLForbidden (422): "callback_url" names a host the
	// webhook policy refuses: a loopback, private, link-local, unspecified,
	// CGNAT, multicast or broadcast address (or an IPv4-mapped form),
	// "localhost" (unless webhook.allow_private_networks), or a host not
	// in the tenant's webhook_hosts.
	CodeCallbackURLForbidden Code = "callback_url_forbidden"
	// CodeInvalidClientRef (422): "client_ref" is longer than 64
	// characters or holds control, format or line separator characters.
	CodeInvalidClientRef Code = "invalid_client_ref"
	// CodeUnknownChannel (422): no channel of that name exists (or it was
	// deleted, for POST /sms).
	CodeUnknownChannel Code = "unknown_channel"
	// CodeNoRoute (422): no channel the tenant may use reaches the
	// carrier of a recipient (or the named channel does not); the body's
	// "index" and "carrier" name the first such recipient (index in "to",
	// 0-based; carrier "" when unknown).
	CodeNoRoute Code = "no_route"
	// CodeInvalidPriority (422): "priority" is not high, normal or low.
	CodeInvalidPriority Code = "invalid_priority"
	// CodeInvalidField (422): admin routes: a field of the tenant or
	// channel is not acceptable; the message lists every problem, each
	// naming its field ("limits.max_requests_per_sec: must not be
	// negative").
	CodeInvalidField Code = "invalid_field"
	// CodeInvalidCSV (422): POST /admin/portability: lines that are not
	// "number,carrier" (the message names the first ones by line number),
	// too many lines, or no entry; nothing was imported.
	CodeInvalidCSV Code = "invalid_csv"

	// CodeRateLimited (429): the tenant's max_requests_per_sec is reached
	// (counted across replicas); Retry-After says when to retry.
	CodeRateLimited Code = "rate_limited"
	// CodeQuotaExceeded (429): the request's segments would exceed the
	// tenant's max_segments_per_day for the day in its time zone.
	CodeQuotaExceeded Code = "quota_exceeded"

	// CodeInternal (500): a bug; the log line with the same X-Request-Id
	// has the cause.
	CodeInternal Code = "internal_error"
	// CodeUnavailable (503): Redis is unreachable, timed out or failing
	// over; nothing was stored (a POST /sms was not queued).
	CodeUnavailable Code = "unavailable"
	// CodeOutcomeUnknown (503): POST /sms could not learn whether the
	// request was queued (Redis stopped answering mid-way). The body
	// carries the request "id": Redis can no longer queue it, so GET
	// /sms/{id} tells the truth as soon as Redis answers (404: not queued).
	// A retry with the same Idempotency-Key never sends twice.
	CodeOutcomeUnknown Code = "outcome_unknown"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	// Code is stable and machine-readable.
	Code Code `json:"code"`
	// Message explains the error to a human; it never contains phone
	// numbers or message content.
	Message string `json:"message"`
	// ID is the request id of an outcome_unknown answer (else absent).
	ID string `json:"id,omitempty"`
	// Index is the index in "to" of the recipient a no_route answer is
	// about (else absent).
	Index *int `json:"index,omitempty"`
	// Carrier is that recipient's carrier code ("" when unknown; absent
	// but for no_route).
	Carrier *string `json:"carrier,omitempty"`
}

// apiError is an error that knows its HTTP status and code.
type apiError struct {
	status int
	code   Code
	msg    string
	id     string // request id, for outcome_unknown
	// index and carrier, for no_route
	index   *int
	carrier *string
}

// Error implements error.
func (e *apiError) Error() string { return string(e.code) + ": " + e.msg }

// errorf builds an *apiError.
func errorf(status int, code Code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg}
}

// abort writes the error body and stops the handler chain.
func abort(c *gin.Context, e *apiError) {
	setLogError(c, e.code)
	c.AbortWithStatusJSON(e.status, ErrorBody{Code: e.code, Message: e.msg, ID: e.id, Index: e.index, Carrier: e.carrier})
}

// abortOutcomeUnknown answers 503 outcome_unknown for request id and logs
// err on the access line.
func abortOutcomeUnknown(c *gin.Context, id string, err error) {
	l := logOf(c)
	l.err, l.smsID = err, id
	e := errorf(http.StatusServiceUnavailable, CodeOutcomeUnknown,
		"the store stopped answering: whether the request was queued is unknown; GET /sms/{id} tells once the service is available, or retry with the same Idempotency-Key")
	e.id = id
	abort(c, e)
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

// isUnavailable reports whether err means Redis could not do the work
// (see store.Unavailable: network errors, timeouts, EOF, CLUSTERDOWN,
// LOADING, …) rather than a bug.
func isUnavailable(err error) bool { return store.Unavailable(err) }
