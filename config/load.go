package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Parse decodes YAML into a Config on top of the defaults, applies the
// environment overrides from environ (os.Environ() form) and validates the
// result. Unknown keys are errors, so a typo never passes silently; every
// error names its key path. A default applies only to a key that neither
// the file nor the environment sets: an explicit 0 where 0 makes no sense
// is an error, not the default.
func Parse(data []byte, environ []string) (*Config, error) {
	cfg := Defaults()
	kp, err := readKeyPaths(data)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, kp.explain(err)
	}
	fromEnv, err := applyEnv(cfg, environ)
	if err != nil {
		return nil, err
	}
	cfg.fillItemDefaults(func(path string) bool { return kp.has(path) || fromEnv[path] })
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Load reads the file at path and calls Parse with the process environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, os.Environ())
}
