package ismgsim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// fileConfig is the YAML layout read by LoadConfig (see
// testdata/simulator.yaml). Durations are Go duration strings ("100ms").
type fileConfig struct {
	Addr               string       `yaml:"addr"`
	AdminAddr          string       `yaml:"admin_addr"`
	GatewayID          uint32       `yaml:"gateway_id"`
	ReportDelay        string       `yaml:"report_delay"`
	StatMix            []StatWeight `yaml:"stat_mix"`
	ShortReports       bool         `yaml:"short_reports"`
	ResponseTimeout    string       `yaml:"response_timeout"`
	Transmissions      int          `yaml:"transmissions"`
	ActiveTestInterval string       `yaml:"active_test_interval"`
	FlushDelay         string       `yaml:"flush_delay"`
	MaxReceived        int          `yaml:"max_received"`
	Accounts           []AccountDoc `yaml:"accounts"`
}

// LoadConfig reads a simulator configuration from a YAML file with the
// Config fields in snake_case plus admin_addr (see testdata/simulator.yaml).
// Unknown keys are errors. Fields left out take the Config defaults;
// report_delay and active_test_interval accept negative values ("-1s") to
// mean no delay / no ACTIVE_TEST.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("ismgsim: %w", err)
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("ismgsim: %s: %w", path, err)
	}
	return cfg, nil
}

// parseConfig decodes and validates a YAML configuration.
func parseConfig(data []byte) (Config, error) {
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cfg := Config{
		Addr: fc.Addr, AdminAddr: fc.AdminAddr, GatewayID: fc.GatewayID, StatMix: fc.StatMix,
		ShortReports: fc.ShortReports, Transmissions: fc.Transmissions, MaxReceived: fc.MaxReceived,
	}
	durations := []struct {
		name string
		text string
		dst  *time.Duration
	}{
		{"report_delay", fc.ReportDelay, &cfg.ReportDelay},
		{"response_timeout", fc.ResponseTimeout, &cfg.ResponseTimeout},
		{"active_test_interval", fc.ActiveTestInterval, &cfg.ActiveTestInterval},
		{"flush_delay", fc.FlushDelay, &cfg.FlushDelay},
	}
	for _, d := range durations {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return Config{}, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, d.name, err)
		}
		*d.dst = v
	}
	for _, d := range fc.Accounts {
		a, err := d.Account()
		if err != nil {
			return Config{}, err
		}
		cfg.Accounts = append(cfg.Accounts, a)
	}
	if err := cfg.withDefaults().validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
