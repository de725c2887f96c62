package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/registry"
)

// EnvPrefix starts every environment override.
const EnvPrefix = "SMSBRIDGE_"

// ApplyEnv overrides settings from environment variables, by one rule: the
// variable's name is EnvPrefix plus the yaml key path in upper case, joined
// with "_"; list items are addressed by index. Examples:
//
//	SMSBRIDGE_REDIS_ADDR=10.0.0.5:6379
//	SMSBRIDGE_HTTP_ADDR=0.0.0.0:8080
//	SMSBRIDGE_CHANNELS_0_SECRET=…
//	SMSBRIDGE_TENANTS_0_CHANNELS=default,backup   (string lists: comma-separated)
//	SMSBRIDGE_CMPP_SERVER_ADDR=0.0.0.0:7890
//	SMSBRIDGE_TENANTS_0_CMPP_SECRET=…            (creates the block if the item has none)
//	SMSBRIDGE_CARRIERS_RANGES_1700=cmcc          (a map of strings: the rest of the name is the key)
//
// An index equal to the list's length appends an item. A variable that
// names no setting is an error, so a misspelt override never goes unseen;
// an unparsable value is an error naming the key path and the variable.
func ApplyEnv(cfg *Config, environ []string) error {
	_, err := applyEnv(cfg, environ)
	return err
}

// applyEnv is ApplyEnv that also returns the key paths it set (e.g.
// "channels[0].window"), so that defaults leave them alone.
func applyEnv(cfg *Config, environ []string) (map[string]bool, error) {
	vars := map[string]string{}
	var names []string
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		vars[name] = val
		names = append(names, name)
	}
	// Sorted so that list items are created in index order.
	sort.Strings(names)
	set := map[string]bool{}
	for _, name := range names {
		path := strings.TrimPrefix(name, EnvPrefix)
		key, err := setPath(reflect.ValueOf(cfg).Elem(), "", path, vars[name])
		if err != nil {
			return nil, fmt.Errorf("config: %s (%s): %w", key, name, err)
		}
		if key == "" {
			return nil, fmt.Errorf("config: %s names no setting", name)
		}
		set[key] = true
		// Setting channels[2].name creates channels[2]: the item is set.
		for i := strings.LastIndexByte(key, '.'); i > 0; i = strings.LastIndexByte(key[:i], '.') {
			set[key[:i]] = true
		}
	}
	return set, nil
}

// setPath finds the field whose upper-cased yaml path equals path (a
// suffix of the variable name) and sets it from text. It returns the
// field's key path below prefix ("" when path names no field).
func setPath(v reflect.Value, prefix, path, text string) (string, error) {
	join := func(key string) string {
		if prefix == "" {
			return key
		}
		return prefix + "." + key
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			key := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if key == "" || key == "-" {
				continue
			}
			upper := strings.ToUpper(key)
			if path == upper {
				return join(key), setScalar(v.Field(i), text)
			}
			if rest, ok := strings.CutPrefix(path, upper+"_"); ok {
				if found, err := setPath(v.Field(i), join(key), rest, text); found != "" || err != nil {
					return found, err
				}
			}
		}
		return "", nil
	case reflect.Slice:
		idxText, rest, _ := strings.Cut(path, "_")
		idx, err := strconv.Atoi(idxText)
		if err != nil || idx < 0 || idx > v.Len() {
			return "", nil
		}
		if idx == v.Len() {
			v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		}
		item := fmt.Sprintf("%s[%d]", prefix, idx)
		if rest == "" {
			return item, setScalar(v.Index(idx), text)
		}
		return setPath(v.Index(idx), item, rest, text)
	case reflect.Map:
		// A map of strings (carriers.ranges): the rest of the name is
		// the key, e.g. SMSBRIDGE_CARRIERS_RANGES_1700=cmcc.
		if path == "" || v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return "", nil
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		v.SetMapIndex(reflect.ValueOf(path), reflect.ValueOf(text))
		return prefix + "." + path, nil
	case reflect.Pointer:
		// An optional block (tenants[].cmpp): a variable naming one of
		// its keys creates it; one naming nothing leaves it nil.
		if v.Type().Elem().Kind() != reflect.Struct {
			return "", nil
		}
		if !v.IsNil() {
			return setPath(v.Elem(), prefix, path, text)
		}
		block := reflect.New(v.Type().Elem())
		found, err := setPath(block.Elem(), prefix, path, text)
		if found != "" && err == nil {
			v.Set(block)
		}
		return found, err
	}
	return "", nil
}

var durationType = reflect.TypeOf(Duration(0))

// stdDurationType is time.Duration, used by sections whose package may not
// import registry (carriers).
var stdDurationType = reflect.TypeOf(time.Duration(0))

func setScalar(f reflect.Value, text string) error {
	if f.Kind() == reflect.Pointer {
		p := reflect.New(f.Type().Elem())
		if err := setScalar(p.Elem(), text); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	if f.Type() == durationType || f.Type() == stdDurationType {
		d, err := registry.ParseDuration(text)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("want true or false, not %q", text)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("want an integer, not %q", text)
		}
		f.SetInt(n)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bits := f.Type().Bits()
		n, err := strconv.ParseUint(text, 10, bits)
		if err != nil {
			return fmt.Errorf("want an integer 0..%d, not %q", uint64(1)<<bits-1, text)
		}
		f.SetUint(n)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("a list of objects is set item by item")
		}
		var items []string
		for _, s := range strings.Split(text, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported setting type %s", f.Type())
	}
	return nil
}
