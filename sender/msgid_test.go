package sender

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// An ISMG answering Msg_Id 0 to every SUBMIT: one segment keeps the
// mapping and its report; every other one is final unknown
// (msg_id_collision), logged once at warn with its ids and counted in
// smsbridge_msgid_collisions_total.
func TestChannelCountsAndLogsMsgIDCollisions(t *testing.T) {
	m := metrics.New()
	var logs testenv.LogBuffer
	r := newRigWith(t, rigOptions{
		// Reports come after every SUBMIT_RESP is stored, so the first
		// mapping is still waiting when the others arrive.
		sim: ismgsim.Config{ReportDelay: 2 * time.Second},
		deps: func(d *Deps) {
			d.Metrics = m
			d.Logger = zerolog.New(&logs).Level(zerolog.InfoLevel)
		},
	})
	zero := cmpp.MsgID(0)
	r.sim.SetFaults(ismgsim.Faults{FixedMsgID: &zero})
	r.enqueue(t, "col", 3, []byte("a"))
	testenv.WaitFor(t, 15*time.Second, "request final", func() bool { return r.status(t, "col").Status.Final() })

	var delivered, collided int
	for _, rc := range r.status(t, "col").Recipients {
		sg := rc.Segments[0]
		switch {
		case rc.Status == store.RecipientDelivered && sg.Stat == "DELIVRD":
			delivered++
		case rc.Status == store.RecipientUnknown && rc.ErrorCode == store.ErrCodeMsgIDCollision && sg.Stat == "":
			collided++
		default:
			t.Errorf("recipient %+v", rc)
		}
		if sg.MsgID != zero.String() {
			t.Errorf("segment Msg_Id %q, want %s", sg.MsgID, zero)
		}
	}
	if delivered != 1 || collided != 2 {
		t.Fatalf("%d delivered and %d collided, want 1 and 2", delivered, collided)
	}
	if got := counterValue(t, m, "smsbridge_msgid_collisions_total", "default"); got != 2 {
		t.Fatalf("smsbridge_msgid_collisions_total = %v, want 2", got)
	}
	var warned int
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if !strings.Contains(line["message"].(string), "msg_id_collision") {
			continue
		}
		warned++
		if line["level"] != "warn" || line["channel"] != "default" || line["msg_id"] != zero.String() ||
			line["request_id"] != "col" || line["segment"] != float64(1) || line["recipient"] == nil ||
			!strings.HasPrefix(line["holder"].(string), "col:") || line["job"] == line["holder"] {
			t.Errorf("collision log line %v", line)
		}
	}
	if warned != 2 {
		t.Fatalf("%d collision log lines, want 2:\n%s", warned, logs.String())
	}
}

// counterValue reads one labelled value of a counter vector.
func counterValue(t *testing.T, m *metrics.Metrics, name, label string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetValue() == label {
					return mt.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// An ISMG that repeats one Msg_Id collides on every SUBMIT: the channel
// logs at most collisionLogBurst of them a second and counts them all.
func TestChannelCollisionLogIsRateLimited(t *testing.T) {
	m := metrics.New()
	var logs testenv.LogBuffer
	r := newRigWith(t, rigOptions{deps: func(d *Deps) {
		d.Metrics = m
		d.Logger = zerolog.New(&logs).Level(zerolog.InfoLevel)
	}})
	cols := make([]store.MsgIDCollision, 100)
	for i := range cols {
		cols[i] = store.MsgIDCollision{Job: store.JobID(fmt.Sprintf("flood:%d:1", i)), MsgID: "0", Holder: "first:0:1"}
	}
	r.ch.collided(cols)
	if got := counterValue(t, m, "smsbridge_msgid_collisions_total", "default"); got != 100 {
		t.Fatalf("smsbridge_msgid_collisions_total = %v, want 100", got)
	}
	if n := strings.Count(logs.String(), "msg_id_collision"); n < 1 || n > collisionLogBurst {
		t.Fatalf("%d collision log lines for 100 collisions at once, want 1..%d", n, collisionLogBurst)
	}
}
