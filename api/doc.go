// Package api is smsbridge's public HTTP API (gin): POST /sms,
// GET /sms/{id}, DELETE /sms/{id}, GET /healthz, GET /readyz, GET /metrics
// and the admin routes (tenants, their keys, usage and routes, channels, their
// queues, dead letters, moved numbers: /admin/portability). openapi.yaml at the repository root
// describes every route, body and error code; Server.Routes lists what the
// router serves so a test can compare the two.
//
// # Authentication
//
// Tenants send "Authorization: Bearer <api key>". The key is looked up by
// its SHA-256 in the registry's snapshot (keys are never stored in clear;
// a tenant may have several). A missing, unknown or revoked key is 401
// unauthorized; a key of a disabled tenant 403 tenant_disabled. Channels
// come from the same snapshot: a channel that does not exist or was
// deleted is 422 unknown_channel, one the tenant may not use 403
// channel_not_allowed. A request id belonging
// to another tenant answers 404 not_found, exactly like an id that does not
// exist, so a key cannot probe for other tenants' requests.
//
// Admin routes (/admin/…) take "Authorization: Bearer <http.admin_key>".
// With no admin key configured they answer 404 not_found: the admin API
// does not exist. Changes go through the registry, which logs each with
// the credential's id ("admin:" and the first 8 hex digits of the key's
// SHA-256). Answers never show a secret (webhook_secret_set, secret_set,
// cmpp.secret_set);
// a new API key is shown once, in the answer that creates it. PATCH takes
// a JSON merge patch (RFC 7386). Registry errors map to 404 not_found, 409
// conflict / managed_by_config, 422 invalid_field (every field problem
// listed), and 503 when Redis fails.
//
// # Request ids
//
// POST /sms issues UUIDv7 ids (RFC 9562): unique without coordination
// between replicas, and sortable by creation time (the first 48 bits are
// the Unix time in ms). A SUBMIT made over the CMPP server (cmppserver) is
// a request with id "cmpp-" + the 22-digit Msg_Id of its SUBMIT_RESP;
// GET answers it with ingress "cmpp" and its account and Msg_Id. GET and
// DELETE accept only those two forms (the UUID in canonical lower case);
// anything else is 404 without a Redis round trip.
//
// # POST /sms
//
// Checks run in this order and nothing is written to Redis before all of
// them pass: Bearer key (401); Idempotency-Key syntax (400); Content-Type
// application/json (415); Content-Length above http.max_body_bytes (413,
// before reading; a body without Content-Length is read through
// http.MaxBytesReader and refused with the same 413 at limit+1 bytes);
// JSON syntax and types (400 malformed_json) and unknown fields
// (400 unknown_field); channel (422 unknown_channel, 403
// channel_not_allowed); "to" (422 to_empty, too_many_recipients above
// 1000 entries, invalid_number); content and options (422 content_empty,
// invalid_encoding, invalid_ext, invalid_callback_url,
// callback_url_forbidden, invalid_client_ref);
// segmenting (422 content_too_long above text.max_segments,
// content_not_encodable); priority (422 invalid_priority); then, after the
// idempotency record, the tenant's limits: max_requests_per_sec (429
// rate_limited with Retry-After) and max_segments_per_day (429
// quota_exceeded; the quota is taken before the create and given back
// when the create certainly stored nothing). The answer 202 is sent only
// after store.CreateRequest returned: the request is durably in Redis.
//
// A 503 means the request was not queued, ever: 503 unavailable when Redis
// failed (every kind of failure: timeouts, EOF, refused connections,
// CLUSTERDOWN, LOADING, MASTERDOWN, READONLY, TRYAGAIN, …; see
// store.Unavailable), and 503 outcome_unknown with the request "id" when
// Redis stopped answering mid-way and even the read-back failed. The
// create carries a deadline after which Redis does nothing, so GET
// /sms/{id} tells the final truth as soon as Redis answers again (404: not
// queued). See store.CreateRequest.
//
// Numbers: surrounding spaces are ignored and a "+86", "86" or "0086"
// prefix is removed when 11 digits starting with "1" follow it; the result
// must be 11 digits starting with "1" (China Mobile's ISMG takes domestic
// mobile numbers). Duplicates are removed after normalisation, keeping the
// first occurrence's order.
//
// # Idempotency
//
// With an Idempotency-Key header (1..255 visible ASCII characters), the
// first request's response is stored per tenant and key for 24 h. The same
// key with a request meaning the same thing (same normalised numbers,
// content, resolved channel and callback, ext, client_ref and encoding)
// replays that response: same status and body, header
// "Idempotent-Replayed: true", nothing queued. The same key with another
// request is 409 idempotency_conflict. While the first request is still
// being processed a duplicate gets 409 idempotency_in_progress with
// Retry-After until its create deadline has passed (it does not wait:
// holding connections open would let one client pin server resources).
// The reservation records the request id and its create deadline, and
// lives as long as a completed record: a retry after that deadline settles
// it — replays 202 when the request exists (the first answer was lost), or
// voids the id and creates the request itself when it does not — so a key
// never sends twice, whatever happened to earlier attempts. Requests
// refused by validation are not recorded (validation is deterministic, so
// a retry is refused the same way); a request certainly not stored
// releases its key so it can be retried at once.
//
// # Logging
//
// One zerolog line per HTTP request ("http request") carries x_request_id
// (the X-Request-Id header, echoed or generated), method, route pattern,
// status, duration, tenant, and for /sms routes request_id (the SMS
// request id), channel and counts. Numbers and content are added only at
// debug level. Errors carry their code; 5xx lines are logged at error
// level with the cause. Probes (/healthz, /readyz, /metrics) log at debug.
package api
