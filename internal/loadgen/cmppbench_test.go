package loadgen

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// The SUBMITs of a UCS2Long worker are the 3 segments of each message in
// order, with one concatenation UDH reference per message; destinations
// differ per message and per destination.
func TestCMPPBenchSubmits(t *testing.T) {
	cfg, err := CMPPBenchConfig{Addr: "127.0.0.1:1", Account: "900099", Dests: 3, UCS2Long: true}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	d := newCMPPDriver(cfg)
	seen := map[string]bool{}
	for n := range uint64(6) {
		s := d.submit(5, n)
		if s.PkTotal != 3 || int(s.PkNumber) != int(n%3)+1 || s.TPUDHI != 1 || s.MsgFmt != 8 || s.RegisteredDelivery != 1 {
			t.Fatalf("SUBMIT %d: %+v", n, s)
		}
		h, payload, err := content.ParseUDH(s.MsgContent)
		if err != nil || !h.Concat || h.Total != 3 || h.Index != s.PkNumber || len(s.MsgContent) > 140 || len(payload)%2 != 0 {
			t.Fatalf("SUBMIT %d content: %v %+v (%d octets)", n, err, h, len(s.MsgContent))
		}
		if len(s.DestTerminalIDs) != 3 {
			t.Fatalf("dests %v", s.DestTerminalIDs)
		}
		if s.PkNumber == 1 {
			for _, dst := range s.DestTerminalIDs {
				if len(dst) != 11 || seen[dst] {
					t.Fatalf("destination %q malformed or repeated", dst)
				}
				seen[dst] = true
			}
		}
	}
	for _, bad := range []CMPPBenchConfig{
		{Account: "a"}, {Addr: "x"}, {Addr: "x", Account: "a", Dests: 101}, {Addr: "x", Account: "a", Duration: -1},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestBenchCMPPSpawn runs bench-cmpp's -spawn path briefly with the real
// binary, both ways: with the channel held (SUBMITs stored and answered)
// and with the simulator upstream (every accepted destination's report
// comes back as a DELIVER). Close deletes every key of the run.
func TestBenchCMPPSpawn(t *testing.T) {
	env := testenv.Redis(t)
	bin := buildBinary(t)
	for _, upstream := range []bool{false, true} {
		name := map[bool]string{false: "hold", true: "upstream"}[upstream]
		t.Run(name, func(t *testing.T) {
			s, err := SpawnCMPP(context.Background(), CMPPSpawnConfig{Binary: bin, RedisAddr: env.Addr, Links: 2, Upstream: upstream,
				ReportDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			closed := false
			t.Cleanup(func() {
				if !closed {
					_ = s.Close()
				}
			})
			rep, err := RunCMPPBench(context.Background(), CMPPBenchConfig{
				Addr: s.Addr, Account: s.Account, Secret: s.Secret, Links: 2, Window: 8, Dests: 2, UCS2Long: upstream,
				Duration: time.Second, Warmup: -1, ExpectReports: upstream, Drain: 30 * time.Second, CPUProbes: s.CPUProbes(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Accepted == 0 || rep.AcceptedPerSec <= 0 || rep.Errors != 0 || rep.Results["0"] < rep.Accepted || len(rep.Results) != 1 {
				t.Fatalf("accepted %d (%.0f/s), results %v, errors %d (%s)", rep.Accepted, rep.AcceptedPerSec, rep.Results, rep.Errors, rep.FirstError)
			}
			if rep.Latency.Count < rep.Accepted || rep.Latency.P50 <= 0 {
				t.Errorf("latency %+v for %d accepted", rep.Latency, rep.Accepted)
			}
			for _, c := range rep.CPU {
				if c.Error != "" || c.Seconds <= 0 || c.MicrosPerSubmit <= 0 {
					t.Errorf("CPU %+v", c)
				}
			}
			if upstream && (rep.ReportsExpected == 0 || rep.ReportsReceived != rep.ReportsExpected || rep.ReportsDuplicate != 0) {
				t.Errorf("reports %d of %d, %d duplicate", rep.ReportsReceived, rep.ReportsExpected, rep.ReportsDuplicate)
			}
			var out bytes.Buffer
			if err := rep.WriteTable(&out); err != nil || !strings.Contains(out.String(), "SUBMITs/s accepted") {
				t.Fatalf("WriteTable: %v\n%s", err, out.String())
			}
			prefix := s.Prefix
			closed = true
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rdb := redis.NewClient(&redis.Options{Addr: env.Addr})
			defer rdb.Close()
			keys, err := rdb.Keys(context.Background(), "*"+prefix+":*").Result()
			if err != nil || len(keys) != 0 {
				t.Fatalf("keys left after Close: %v (%v)", keys, err)
			}
		})
	}
}
