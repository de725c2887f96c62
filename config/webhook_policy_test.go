package config

import (
	"strings"
	"testing"
)

// tenants[].callback_url passes the webhook address policy: a private
// address is refused unless webhook.allow_private_networks, and a tenant's
// webhook_hosts narrows the hosts (from the file or the environment).
func TestCallbackURLPolicy(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want string // "" = valid
	}{
		{"public name", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=https://hooks.example.com/sms"}, ""},
		{"loopback", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://127.0.0.1:8081/webhook"},
			"tenants[0].callback_url: callback address forbidden: 127.0.0.1 is loopback (set webhook.allow_private_networks: true"},
		{"localhost", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://localhost/webhook"}, "localhost is a loopback name"},
		{"mapped loopback", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://[::ffff:127.0.0.1]/"}, "tenants[0].callback_url: callback address forbidden"},
		{"metadata", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://169.254.169.254/latest/meta-data/"}, "link-local"},
		{"private allowed", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://127.0.0.1:8081/webhook", "SMSBRIDGE_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true"}, ""},
		{"port 0", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://hooks.example.com:0/", "SMSBRIDGE_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true"},
			"tenants[0].callback_url: must be an http(s) URL: invalid callback URL: port 0 is not in 1..65535"},
		{"port 65536", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=http://hooks.example.com:65536/"}, "port 65536"},
		{"not http", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=ftp://hooks.example.com/"}, "tenants[0].callback_url: must be an http(s) URL"},
		{"listed host", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=https://a.example.com/", "SMSBRIDGE_TENANTS_0_WEBHOOK_HOSTS=*.example.com,hooks.example.net"}, ""},
		{"unlisted host", []string{"SMSBRIDGE_TENANTS_0_CALLBACK_URL=https://hooks.example.org/", "SMSBRIDGE_TENANTS_0_WEBHOOK_HOSTS=*.example.com"},
			"tenants[0].callback_url: callback address forbidden: hooks.example.org is not in the tenant's webhook_hosts"},
		{"bad host pattern", []string{"SMSBRIDGE_TENANTS_0_WEBHOOK_HOSTS=hooks.example.com,http://x/"}, "tenants[0].webhook_hosts[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(sample), tc.env)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// allow_private_networks defaults to false and webhook_hosts to empty.
func TestWebhookPolicyDefaults(t *testing.T) {
	cfg, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Webhook.AllowPrivateNetworks || len(cfg.Tenants[0].WebhookHosts) != 0 {
		t.Fatalf("allow_private_networks %v, webhook_hosts %q: want false and empty", cfg.Webhook.AllowPrivateNetworks, cfg.Tenants[0].WebhookHosts)
	}
	fromFile := sample + "webhook: {allow_private_networks: true}\n"
	fromFile = strings.Replace(fromFile, "channels: [default]\n", "channels: [default]\n    webhook_hosts: [hooks.example.com]\n", 1)
	if cfg, err = Parse([]byte(fromFile), nil); err != nil {
		t.Fatal(err)
	}
	if !cfg.Webhook.AllowPrivateNetworks || len(cfg.Tenants[0].WebhookHosts) != 1 {
		t.Fatalf("from the file: %v %q", cfg.Webhook.AllowPrivateNetworks, cfg.Tenants[0].WebhookHosts)
	}
}
