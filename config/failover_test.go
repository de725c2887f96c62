package config

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/failover"
)

// channels[].failover: failover's defaults for keys left out, keys set
// kept (0 turns no_link_for and failure_share off), and its checks named
// by the key path.
func TestChannelFailoverSection(t *testing.T) {
	cfg, err := Parse([]byte(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Channels[0].Failover.Rules()
	if r.NoLinkFor != failover.DefaultNoLinkFor || r.FailureShare != failover.DefaultFailureShare || r.Window != failover.DefaultWindow ||
		r.MinSegments != failover.DefaultMinSegments || r.HealthyFor != failover.DefaultHealthyFor || len(r.ProblemResults) != 0 {
		t.Fatalf("failover left out: %+v, want the defaults", r)
	}
	set := strings.Replace(sample, "    src_id: \"1065800001\"\n", "    src_id: \"1065800001\"\n"+
		"    failover: {no_link_for: 0s, problem_results: [9, 10], failure_share: 0, window: 1m, min_segments: 20, healthy_for: 10s}\n", 1)
	cfg, err = Parse([]byte(set), nil)
	if err != nil {
		t.Fatal(err)
	}
	r = cfg.Channels[0].Failover.Rules()
	if r.NoLinkFor != 0 || r.FailureShare != 0 || r.Window != time.Minute || r.MinSegments != 20 || r.HealthyFor != 10*time.Second ||
		len(r.ProblemResults) != 2 || r.ProblemResults[1] != 10 {
		t.Fatalf("failover set: %+v", r)
	}
	for _, c := range []struct{ section, key string }{
		{"{window: 0s}", "channels[0].failover.window"},
		{"{min_segments: 0}", "channels[0].failover.min_segments"},
		{"{problem_results: [0]}", "channels[0].failover.problem_results[0]"},
		{"{failure_share: 1}", "channels[0].failover.failure_share"},
		{"{healthy_for: 10ms}", "channels[0].failover.healthy_for"},
	} {
		bad := strings.Replace(sample, "    src_id: \"1065800001\"\n", "    src_id: \"1065800001\"\n    failover: "+c.section+"\n", 1)
		_, err := Parse([]byte(bad), nil)
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Fatalf("failover %s: error %v, want one naming %s", c.section, err, c.key)
		}
	}
}
