package main

import (
	"os"
	"reflect"
	"testing"

	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/registry"
)

// The shipped config.yaml is the reference of production: every key it
// sets is the default, so it parses to exactly config.Defaults() (no
// channels, no tenants, no simulator, no private webhook addresses).
func TestShippedConfigIsTheProductionDefaults(t *testing.T) {
	data, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Channels) == 0 && len(cfg.Tenants) == 0 {
		cfg.Channels, cfg.Tenants = nil, nil // "[]" in the file, nil in Defaults
	}
	if want := config.Defaults(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("config.yaml differs from config.Defaults():\n got %+v\nwant %+v", cfg, want)
	}
}

// demo.yaml is an overlay: on top of the defaults it turns on demo mode
// (embedded simulator and receiver, the demo channel and tenant with its
// CMPP account, the CMPP server on loopback, private webhook addresses for
// the loopback receiver) and changes nothing else.
func TestDemoOverlay(t *testing.T) {
	cfg, err := config.Parse(demoOverlay, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Simulator.Embedded || cfg.Simulator.WebhookReceiver == "" || !cfg.Webhook.AllowPrivateNetworks {
		t.Errorf("demo mode not on: simulator %+v, allow_private_networks %v", cfg.Simulator, cfg.Webhook.AllowPrivateNetworks)
	}
	if len(cfg.Channels) != 1 || cfg.Channels[0].Addr != "" || len(cfg.Tenants) != 1 || cfg.Tenants[0].Name != "demo" {
		t.Fatalf("demo accounts: %d channels, %d tenants", len(cfg.Channels), len(cfg.Tenants))
	}
	// The CMPP server listens on loopback, with the demo tenant's account.
	if a := cfg.Tenants[0].CMPP; cfg.CMPPServer.Addr != "127.0.0.1:7890" || a == nil || a.Account != "910001" ||
		a.Secret != "demo-cmpp" || a.ServiceCode != "1065800001" || len(a.AllowedIPs) != 0 ||
		a.MaxLinks != registry.DefaultCMPPMaxLinks || a.Version != registry.DefaultCMPPVersion {
		t.Errorf("demo CMPP access: cmpp_server.addr %q, tenant block %+v", cfg.CMPPServer.Addr, a)
	}
	// Everything else is the default.
	rest, def := *cfg, *config.Defaults()
	rest.Channels, rest.Tenants, rest.Simulator, rest.Webhook.AllowPrivateNetworks = nil, nil, def.Simulator, false
	rest.CMPPServer.Addr = def.CMPPServer.Addr
	if !reflect.DeepEqual(rest, def) {
		t.Errorf("demo.yaml changes more than demo mode:\n got %+v\nwant %+v", rest, def)
	}
	if cfg.Simulator.ReportDelay != def.Simulator.ReportDelay {
		t.Errorf("simulator.report_delay %v, want the default", cfg.Simulator.ReportDelay)
	}
}
