package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
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
//
// An index equal to the list's length appends an item. A variable that
// names no setting is an error, so a misspelt override never goes unseen.
func ApplyEnv(cfg *Config, environ []string) error {
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
	for _, name := range names {
		path := strings.TrimPrefix(name, EnvPrefix)
		ok, err := setPath(reflect.ValueOf(cfg).Elem(), path, vars[name])
		if err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
		if !ok {
			return fmt.Errorf("config: %s names no setting", name)
		}
	}
	return nil
}

// setPath finds the field whose upper-cased yaml path equals path (a
// suffix of the variable name) and sets it from text.
func setPath(v reflect.Value, path, text string) (bool, error) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			key := strings.ToUpper(strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0])
			if key == "" || key == "-" {
				continue
			}
			if path == key {
				return true, setScalar(v.Field(i), text)
			}
			if rest, ok := strings.CutPrefix(path, key+"_"); ok {
				if found, err := setPath(v.Field(i), rest, text); found || err != nil {
					return found, err
				}
			}
		}
		return false, nil
	case reflect.Slice:
		idxText, rest, _ := strings.Cut(path, "_")
		idx, err := strconv.Atoi(idxText)
		if err != nil || idx < 0 || idx > v.Len() {
			return false, nil
		}
		if idx == v.Len() {
			v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		}
		if rest == "" {
			return true, setScalar(v.Index(idx), text)
		}
		return setPath(v.Index(idx), rest, text)
	}
	return false, nil
}

var durationType = reflect.TypeOf(Duration(0))

func setScalar(f reflect.Value, text string) error {
	if f.Kind() == reflect.Pointer {
		p := reflect.New(f.Type().Elem())
		if err := setScalar(p.Elem(), text); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	if f.Type() == durationType {
		d, err := time.ParseDuration(text)
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
			return err
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Uint8:
		n, err := strconv.ParseUint(text, 10, 8)
		if err != nil {
			return err
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
