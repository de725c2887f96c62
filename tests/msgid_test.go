package tests

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// An ISMG that answers Msg_Id 0 to every SUBMIT (simulator fault
// fixed_msg_id): of the 4 segments of a 2-segment message to 2 recipients,
// the first one stored keeps the Msg_Id and the report matches it; the
// other 3 are final unknown with msg_id_collision at once, the webhooks and
// GET /sms/{id} say so, and the collisions are counted on /metrics.
func TestMsgIDCollisionsEndToEnd(t *testing.T) {
	env := testenv.Redis(t)
	// Reports come well after every SUBMIT_RESP is stored, so the first
	// mapping still waits for its report when the others arrive.
	sim := newSim(t, 0, func(c *ismgsim.Config) { c.ReportDelay = 2 * time.Second })
	zero := cmpp.MsgID(0)
	sim.SetFaults(ismgsim.Faults{FixedMsgID: &zero})
	rcv := newReceiver(t)
	c := api{t: t, base: startGateway(t, gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Callback: rcv.URL()})}

	acc := c.send([]string{"13600000001", "13600000002"}, strings.Repeat("重复消息编号", 20)) // 120 characters: 2 segments
	if acc.TotalSegments != 4 {
		t.Fatalf("202 body %+v, want 4 segments", acc)
	}
	st := c.waitStatus(acc.ID, 20*time.Second, "failed", "partially_delivered", "delivered")
	if st.Status != "failed" {
		t.Fatalf("request %s, want failed (no recipient delivered)", st.Status)
	}
	for _, r := range st.Recipients {
		if r.Status != "unknown" || r.ErrorCode != "msg_id_collision" {
			t.Fatalf("recipient %+v, want unknown/msg_id_collision", r)
		}
	}
	if got := sim.Received(); len(got) != 4 {
		t.Fatalf("simulator received %d SUBMITs, want 4", len(got))
	}

	testenv.WaitFor(t, 10*time.Second, "2 sms.status webhooks", func() bool { return len(rcv.statusFor(acc.ID)) == 2 })
	var delivered, collided int
	for _, ev := range rcv.statusFor(acc.ID) {
		if ev.Data.Status != "unknown" || ev.Data.ErrorCode != "msg_id_collision" || len(ev.Data.Segments) != 2 {
			t.Fatalf("event %+v", ev.Data)
		}
		for _, sg := range ev.Data.Segments {
			if sg.MsgID != zero.String() || sg.SubmitResult == nil || *sg.SubmitResult != 0 {
				t.Fatalf("segment %+v, want Msg_Id 0 accepted", sg)
			}
			switch {
			case sg.Stat == "DELIVRD" && sg.ErrorCode == "":
				delivered++
			case sg.Stat == "" && sg.ErrorCode == "msg_id_collision" && sg.ReportedAt == nil:
				collided++
			default:
				t.Fatalf("segment %+v", sg)
			}
		}
	}
	if delivered != 1 || collided != 3 {
		t.Fatalf("%d segments delivered and %d collided, want 1 and 3", delivered, collided)
	}

	// The 4 reports all carry Msg_Id 0: one matched, the rest duplicates.
	want := []string{
		`smsbridge_msgid_collisions_total{channel="default"} 3`,
		`smsbridge_reports_total{channel="default",outcome="matched",stat="DELIVRD"} 1`,
		`smsbridge_reports_total{channel="default",outcome="duplicate",stat="DELIVRD"} 3`,
	}
	var body string
	testenv.WaitFor(t, 10*time.Second, "collisions and reports on /metrics", func() bool {
		resp, err := c.client().Get(c.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		for _, series := range want {
			if !strings.Contains(body, series) {
				return false
			}
		}
		return true
	})
}
