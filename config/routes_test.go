package config

import (
	"strings"
	"testing"
)

// sampleRoutes is sample with a China Mobile channel and an aggregator,
// and the tenant routed over them.
const sampleRoutes = `
channels:
  - {name: cm1, addr: 127.0.0.1:7890, sp_id: "900001", secret: s1, src_id: "1065800001", carriers: [cmcc]}
  - {name: agg, addr: 127.0.0.1:7891, sp_id: "900002", secret: s2, src_id: "1065800002", carriers: [cmcc, cucc, ctcc]}
tenants:
  - name: acme
    key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    webhook_secret: 0123456789abcdef
    channels: [cm1, agg]
    routes:
      cmcc: [{cm1: 3, agg: 1}]
      "*": [{agg: 1}]
`

// channels[].carriers and tenants[].routes are read from the file and
// checked by the registry, errors naming the key path.
func TestRoutesInTheFile(t *testing.T) {
	cfg, err := Parse([]byte(sampleRoutes), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Channels[1].Carriers; len(c) != 3 || c[2] != "ctcc" {
		t.Fatalf("agg carriers %v", c)
	}
	if r := cfg.Tenants[0].Routes; r["cmcc"][0]["cm1"] != 3 || r["cmcc"][0]["agg"] != 1 || r["*"][0]["agg"] != 1 {
		t.Fatalf("acme routes %v", r)
	}
	expectParse(t, "unknown carrier", sampleRoutes+"  - {name: x, key_sha256: fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9, webhook_secret: 0123456789abcdef, channels: [agg], routes: {gsm: [{agg: 1}]}}\n",
		nil, `tenants[1].routes.gsm: unknown carrier "gsm"`)
	expectParse(t, "route to a channel that does not reach the carrier", sampleRoutes+"  - {name: x, key_sha256: fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9, webhook_secret: 0123456789abcdef, channels: [cm1], routes: {cucc: [{cm1: 1}]}}\n",
		nil, `tenants[1].routes.cucc[0].cm1: channel "cm1" does not reach carrier cucc`)
	expectParse(t, "weight 0", sampleRoutes+"  - {name: x, key_sha256: fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9, webhook_secret: 0123456789abcdef, channels: [cm1], routes: {cmcc: [{cm1: 0}]}}\n",
		nil, `tenants[1].routes.cmcc[0].cm1: weight must be 1..100, not 0`)
	expectParse(t, "bad carrier on a channel", strings.Replace(sampleRoutes, "carriers: [cmcc]}", "carriers: [gsm]}", 1),
		nil, `channels[0].carriers[0]: unknown carrier "gsm"`)
}
