package tests

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A 3-segment Chinese message to 3 recipients: 9 SUBMITs with matching
// UDH and Pk fields, 3 signed sms.status webhooks carrying exactly the
// Msg_Ids the simulator assigned, and GET /sms/{id} says delivered.
func TestLongChineseMessageDeliveredAndReported(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	rcv := newReceiver(t)
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Callback: rcv.URL()})}

	text := strings.Repeat("短信网关测试，", 21) + "完" // 148 characters → 67 + 67 + 14 UTF-16 units
	to := []string{"13800138001", "+8613800138002", "8613800138003"}
	acc := c.send(to, text)
	if acc.Recipients != 3 || acc.SegmentsPerRecipient != 3 || acc.TotalSegments != 9 {
		t.Fatalf("202 body: %+v", acc)
	}
	st := c.waitStatus(acc.ID, 15*time.Second, "delivered")

	got := sim.Received()
	if len(got) != 9 {
		t.Fatalf("simulator received %d SUBMITs, want 9", len(got))
	}
	simIDs := map[string]ismgsim.ReceivedSegment{}
	parts := map[string][][]byte{}
	for _, g := range got {
		simIDs[g.MsgID.String()] = g
		if g.TPUDHI != 1 || g.PkTotal != 3 || g.MsgFmt != content.FmtUCS2 || g.RegisteredDelivery != 1 {
			t.Errorf("SUBMIT fields: %+v", g)
		}
		udh, payload, err := content.ParseUDH(g.Content)
		if err != nil || !udh.Concat || udh.Total != 3 || udh.Index != g.PkNumber {
			t.Errorf("UDH %+v (err %v) does not match Pk_number %d", udh, err, g.PkNumber)
		}
		for len(parts[g.Dest]) < 3 {
			parts[g.Dest] = append(parts[g.Dest], nil)
		}
		parts[g.Dest][g.PkNumber-1] = payload
	}
	for dest, p := range parts {
		if joined, err := content.Decode(content.FmtUCS2, bytes.Join(p, nil)); err != nil || joined != text {
			t.Errorf("segments to %s join to %q (err %v)", dest, joined, err)
		}
	}
	var numbersSeen []string
	for _, r := range st.Recipients {
		numbersSeen = append(numbersSeen, r.To)
	}
	sort.Strings(numbersSeen)
	if strings.Join(numbersSeen, ",") != "13800138001,13800138002,13800138003" {
		t.Fatalf("recipients not normalised: %v", numbersSeen)
	}

	testenv.WaitFor(t, 10*time.Second, "3 sms.status webhooks", func() bool { return len(rcv.statusFor(acc.ID)) == 3 })
	for _, ev := range rcv.statusFor(acc.ID) {
		if ev.Data.Status != "delivered" || len(ev.Data.Segments) != 3 {
			t.Fatalf("event: %+v", ev.Data)
		}
		for _, sg := range ev.Data.Segments {
			g, ok := simIDs[sg.MsgID]
			if !ok {
				t.Fatalf("webhook Msg_Id %s was not assigned by the simulator", sg.MsgID)
			}
			if g.Dest != ev.Data.To || int(g.PkNumber) != sg.Number || sg.Stat != "DELIVRD" {
				t.Fatalf("webhook segment %+v does not match the simulator's %s/%d", sg, g.Dest, g.PkNumber)
			}
		}
	}
	if rcv.badSigs != 0 {
		t.Fatalf("%d webhooks with bad signatures", rcv.badSigs)
	}
}

// Report outcomes set on the simulator roll up to failed and
// partially_delivered where they belong.
func TestMixedOutcomesRollUp(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	rcv := newReceiver(t)
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Callback: rcv.URL()})}
	sim.SetFaults(ismgsim.Faults{StatOverride: map[string]string{
		"13900000001": "UNDELIV", "13900000002": "EXPIRED", "13900000004": "MK:0012",
	}})
	partial := c.send([]string{"13900000001", "13900000003"}, "partial")
	failed := c.send([]string{"13900000002", "13900000004"}, "all failed")
	ok := c.send([]string{"13900000005"}, "fine")

	st := c.waitStatus(partial.ID, 10*time.Second, "partially_delivered", "failed", "delivered")
	if st.Status != "partially_delivered" {
		t.Fatalf("partial: %s", st.Status)
	}
	if st := c.waitStatus(failed.ID, 10*time.Second, "partially_delivered", "failed", "delivered"); st.Status != "failed" {
		t.Fatalf("failed: %s", st.Status)
	} else {
		codes := map[string]string{}
		for _, r := range st.Recipients {
			codes[r.To] = r.ErrorCode
		}
		if codes["13900000002"] != "EXPIRED" || codes["13900000004"] != "MK:0012" {
			t.Fatalf("error codes %v", codes)
		}
	}
	c.waitStatus(ok.ID, 10*time.Second, "delivered")
	testenv.WaitFor(t, 10*time.Second, "5 webhooks", func() bool {
		return len(rcv.statusFor(partial.ID))+len(rcv.statusFor(failed.ID))+len(rcv.statusFor(ok.ID)) == 5
	})
}

// The simulator closes every link every 2 s while 5,000 segments go out:
// every one is submitted and reported.
func TestLinksClosedEveryTwoSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000-segment run skipped in -short mode")
	}
	env := testenv.Redis(t)
	// Every closure re-sends the reports in flight on the closed links, and
	// each re-send counts toward the simulator's transmissions; give it the
	// room a real ISMG (which retries reports for much longer) has.
	sim := newSim(t, 0, func(c *ismgsim.Config) { c.Transmissions = 10 })
	// A small delay keeps SUBMITs in flight when the links are cut.
	sim.SetFaults(ismgsim.Faults{CloseLinksEvery: 2 * time.Second, ResponseDelay: 2 * time.Millisecond})
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()})}
	var ids []string
	for i := range 5 {
		ids = append(ids, c.send(numbers(i*1000, 1000), "closures").ID)
	}
	start := time.Now()
	for _, id := range ids {
		c.waitStatus(id, 90*time.Second, "delivered")
	}
	seen := map[string]bool{}
	for _, g := range sim.Received() {
		seen[g.Dest] = true
	}
	if len(seen) != 5000 {
		t.Fatalf("simulator saw %d distinct recipients, want 5000", len(seen))
	}
	t.Logf("5,000 segments delivered in %s with links closed every 2 s; %d SUBMITs received (%d resent)",
		time.Since(start).Round(time.Millisecond), len(sim.Received()), len(sim.Received())-5000)
}

// A receiver answering 500 three times gets the event on the 4th try, once.
func TestWebhookRetriedUntilAccepted(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	rcv := newReceiver(t)
	rcv.failFirst = 3
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Callback: rcv.URL()})}
	acc := c.send([]string{"13700000001"}, "retry me")
	testenv.WaitFor(t, 15*time.Second, "webhook accepted", func() bool { return len(rcv.statusFor(acc.ID)) == 1 })
	ev := rcv.statusFor(acc.ID)[0]
	rcv.mu.Lock()
	attempts := rcv.attempts[ev.ID]
	rcv.mu.Unlock()
	if attempts != 4 {
		t.Fatalf("event %s took %d attempts, want 4", ev.ID, attempts)
	}
}

// The simulator enforces 100 submits/s with Result 8 and the client is
// not told: nothing fails and the observed rate stays at the ISMG's limit.
// (The rate is low so that even a gateway on the embedded store, on a busy
// machine, sends faster than it and meets Result 8.)
func TestFlowControlHeldToRate(t *testing.T) {
	env := testenv.Redis(t)
	const rate, total = 100, 300
	sim := newSim(t, rate, nil)
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()})}
	acc := c.send(numbers(0, total), "flow control")
	c.waitStatus(acc.ID, 30*time.Second, "delivered")
	counts := sim.Counts()[spID]
	if counts.Accepted != total {
		t.Fatalf("accepted %d, want %d", counts.Accepted, total)
	}
	if counts.FlowControlled == 0 {
		t.Fatalf("the simulator never answered Result 8; the test did not exercise flow control")
	}
	first, last := acceptedSpan(sim.Received())
	// The simulator's bucket starts full (one second's worth), so 300 at
	// 100/s cannot be accepted in under two seconds.
	if span := last.Sub(first); span < 1900*time.Millisecond {
		t.Fatalf("%d accepted in %s: faster than %d/s", total, span, rate)
	}
	t.Logf("%d accepted with %d Result 8 answers", total, counts.FlowControlled)
}

func acceptedSpan(got []ismgsim.ReceivedSegment) (first, last time.Time) {
	for _, g := range got {
		if g.Result != 0 {
			continue
		}
		if first.IsZero() || g.At.Before(first) {
			first = g.At
		}
		if g.At.After(last) {
			last = g.At
		}
	}
	return first, last
}
