package api

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// exactKeys refuses a member of body m whose name is not exactly the JSON
// name of a field of t (a struct type), also in nested objects.
// encoding/json matches names regardless of case, so without this check
// {"Disabled": true} would decode, and then, merged as a patch beside the
// stored "disabled", change nothing while the answer says 200.
func exactKeys(m map[string]any, t reflect.Type) *apiError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = f.Type
	}
	for k, v := range m {
		ft, ok := fields[k]
		if !ok {
			return errorf(http.StatusBadRequest, CodeUnknownField, fmt.Sprintf("unknown field %q (field names are case-sensitive)", clip(k)))
		}
		if sub, ok := v.(map[string]any); ok {
			if e := exactKeys(sub, ft); e != nil {
				return e
			}
		}
	}
	return nil
}
