package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
)

// readObject reads a JSON object body into dst (as readJSON) and returns
// its members (decodeObject): which fields the client set, and the merge
// patch of a PATCH. Member names must be dst's JSON names exactly
// (exactKeys).
func readObject(c *gin.Context, limit int64, dst any) (map[string]any, *apiError) {
	raw, e := readJSONRaw(c, limit, dst)
	if e != nil {
		return nil, e
	}
	m, e := decodeObject(raw)
	if e != nil {
		return nil, e
	}
	if e := exactKeys(m, reflect.TypeOf(dst)); e != nil {
		return nil, e
	}
	return m, nil
}

// decodeObject reads raw (a body readJSONRaw accepted) as a JSON object
// with numbers kept as json.Number, so re-encoding it loses nothing. A
// JSON null is an empty object.
func decodeObject(raw []byte) (map[string]any, *apiError) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, errorf(http.StatusBadRequest, CodeMalformedJSON, "the body must be a JSON object")
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// mergePatch applies the JSON merge patch (RFC 7386) patch to target and
// returns the result: a null removes the member (its field takes its
// default), an object is merged member by member, anything else replaces
// the member.
func mergePatch(target, patch map[string]any) map[string]any {
	if target == nil {
		target = map[string]any{}
	}
	for k, pv := range patch {
		switch p := pv.(type) {
		case nil:
			delete(target, k)
		case map[string]any:
			sub, _ := target[k].(map[string]any)
			target[k] = mergePatch(sub, p)
		default:
			target[k] = pv
		}
	}
	return target
}

// patchBody applies merge patch to the JSON form of cur and decodes the
// result into out (a pointer to cur's type). It returns the members of
// the result (which fields are set, for defaults). Every member of patch
// was checked already (readJSONRaw decoded the body into out's type), so
// the decoding cannot meet a member of the wrong type or an unknown one.
func patchBody(cur any, patch map[string]any, out any) (map[string]any, error) {
	b, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	m, e := decodeObject(b)
	if e != nil {
		return nil, e
	}
	m = mergePatch(m, patch)
	merged, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	return m, dec.Decode(out)
}

// givenIn reports whether a member is in m: a field the client set, as
// opposed to one left out (which takes its default). A dotted key
// ("failover.window") names a member of a nested object.
func givenIn(m map[string]any) func(key string) bool {
	return func(key string) bool {
		cur := m
		for {
			head, rest, nested := strings.Cut(key, ".")
			v, ok := cur[head]
			if !ok || !nested {
				return ok
			}
			if cur, ok = v.(map[string]any); !ok {
				return false
			}
			key = rest
		}
	}
}
