package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// readJSON reads the request body into dst, strictly:
//
//   - Content-Type must be application/json (parameters such as charset are
//     allowed, charset only utf-8) → else 415 unsupported_media_type;
//   - a Content-Length above the limit is refused with 413 body_too_large
//     before a byte is read; without Content-Length (chunked) the body is
//     read through http.MaxBytesReader, which stops at limit+1 bytes and
//     gives the same 413 — an oversized body is never read whole;
//   - the body must be exactly one JSON object whose fields are all known
//     → else 400 malformed_json or unknown_field;
//   - no object may repeat a key, even in another case → else 400
//     duplicate_key; every string must be valid UTF-8 without unpaired
//     surrogate escapes → else 422 invalid_text (checkJSONText).
func readJSON(c *gin.Context, limit int64, dst any) *apiError {
	_, e := readJSONRaw(c, limit, dst)
	return e
}

// readJSONRaw is readJSON that also returns the body read (nil on error),
// for routes that need to know which fields were sent (JSON merge patch).
func readJSONRaw(c *gin.Context, limit int64, dst any) ([]byte, *apiError) {
	if e := checkJSONContentType(c.Request); e != nil {
		return nil, e
	}
	r := c.Request
	if r.ContentLength > limit {
		closeAfter(c)
		return nil, tooLarge(limit)
	}
	r.Body = http.MaxBytesReader(c.Writer, r.Body, limit)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			closeAfter(c)
			return nil, tooLarge(limit)
		}
		return nil, errorf(http.StatusBadRequest, CodeMalformedJSON, "could not read the body: "+err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(http.StatusBadRequest, CodeMalformedJSON, "the body must hold exactly one JSON object")
	}
	// What encoding/json lets through: invalid text, merged keys.
	if e := checkJSONText(raw); e != nil {
		return nil, e
	}
	return raw, nil
}

// closeAfter asks the server to close the connection after the response:
// the rest of an oversized body is not worth reading.
func closeAfter(c *gin.Context) { c.Header("Connection", "close") }

func tooLarge(limit int64) *apiError {
	return errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
		"the body exceeds "+strconv.FormatInt(limit, 10)+" bytes")
}

// checkJSONContentType accepts application/json with an optional utf-8
// charset.
func checkJSONContentType(r *http.Request) *apiError {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" || ct == "application/json; charset=utf-8" {
		return nil // what clients send: no need to parse (ParseMediaType allocates a map)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"Content-Type must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the body must be UTF-8 JSON (charset="+cs+" given)")
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the field or offset.
func jsonError(err error) *apiError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, CodeMalformedJSON, fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errorf(http.StatusBadRequest, CodeMalformedJSON, "the body must be a JSON object")
		}
		return errorf(http.StatusBadRequest, CodeMalformedJSON, fmt.Sprintf("field %q must be %s, not %s", field, jsonTypeName(te.Type.Kind().String()), te.Value))
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, CodeMalformedJSON, "empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, CodeMalformedJSON, "truncated JSON")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errorf(http.StatusBadRequest, CodeUnknownField, "unknown field "+clip(f))
	}
	return errorf(http.StatusBadRequest, CodeMalformedJSON, err.Error())
}

// jsonTypeName names Go kinds the way a JSON client thinks of them.
func jsonTypeName(kind string) string {
	switch kind {
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "a number"
}
