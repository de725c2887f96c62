package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/config"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/webhook"
)

// received returns the destination of every SUBMIT sim received, sorted.
func received(sim *ismgsim.Server) []string {
	var out []string
	for _, g := range sim.Received() {
		out = append(out, g.Dest)
	}
	sort.Strings(out)
	return out
}

// partsGateway runs a gateway whose tenant acme may use channels default
// (sim1) and cm2 (sim2), and returns its API client and a store on the
// same Redis prefix.
func partsGateway(t *testing.T, env *testenv.RedisEnv, sim1, sim2 string, rcv *receiver) (api, *store.Store) {
	t.Helper()
	y := string(gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim1, Callback: rcv.URL()}.yaml())
	first := strings.Index(y, "  - {name: default")
	end := strings.Index(y[first:], "response_timeout: 5s}\n") + first + len("response_timeout: 5s}\n")
	second := strings.Replace(strings.Replace(y[first:end], "name: default", "name: cm2", 1), sim1, sim2, 1)
	y = y[:end] + second + y[end:]
	y = strings.Replace(y, "channels: [default]", "channels: [default, cm2]", 1)
	cfg, err := config.Parse([]byte(y), nil)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	c := api{t: t, base: startGatewayConfig(t, cfg)}
	return c, store.New(env.Client, store.Options{Prefix: env.Prefix})
}

// getChannels returns each recipient's channel in GET /sms/{id}, checking
// that its segments say the same.
func getChannels(c api, id string) []string {
	c.t.Helper()
	code, body := c.do("GET", "/sms/"+id, nil, nil)
	if code != http.StatusOK {
		c.t.Fatalf("GET: %d %s", code, body)
	}
	var st struct {
		Recipients []struct {
			Channel  string `json:"channel"`
			Segments []struct {
				Channel string `json:"channel"`
			} `json:"segments"`
		} `json:"recipients"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		c.t.Fatal(err)
	}
	out := make([]string, len(st.Recipients))
	for i, r := range st.Recipients {
		out[i] = r.Channel
		for _, sg := range r.Segments {
			if sg.Channel != r.Channel {
				c.t.Errorf("recipient %d on %s, its segment on %s", i+1, r.Channel, sg.Channel)
			}
		}
	}
	return out
}

// A request whose recipients are routed to two channels goes out on both
// simulators, each SUBMIT once on its recipient's channel; GET /sms/{id}
// merges the parts and each webhook names the recipient's channel and
// index. Then a request left queued on a channel that has no links (cm3,
// not configured here: as a failed channel) is moved by MoveUnsent and
// sent exactly once on cm2.
func TestPartsAndMoveUnsentEndToEnd(t *testing.T) {
	env := testenv.Redis(t)
	sim1, sim2 := newSim(t, 0, nil), newSim(t, 0, nil)
	rcv := newReceiver(t)
	c, st := partsGateway(t, env, sim1.Addr(), sim2.Addr(), rcv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	to := numbers(5000, 4)
	id := uuid.NewString()
	req := store.NewRequest{ID: id, Tenant: "acme", Channel: "default", CallbackURL: rcv.URL(), ClientRef: "parts",
		Recipients: to, RecipientChannels: []string{"", "cm2", "default", "cm2"},
		Segments: []store.Segment{{Content: []byte("hello parts")}}}
	if err := st.CreateRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	c.waitStatus(id, 30*time.Second, "delivered")
	want := []string{"default", "cm2", "default", "cm2"}
	if got := getChannels(c, id); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("GET channels %v, want %v", got, want)
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s received SUBMITs for %v, want %v", name, got, want)
		}
	}
	check("sim1", received(sim1), to[0], to[2])
	check("sim2", received(sim2), to[1], to[3])
	var evs []webhook.StatusEvent
	testenv.WaitFor(t, 30*time.Second, "4 sms.status webhooks", func() bool {
		evs = rcv.statusFor(id)
		return len(evs) == 4
	})
	for _, ev := range evs {
		d := ev.Data
		if d.Recipient < 1 || d.Recipient > 4 || to[d.Recipient-1] != d.To || d.Channel != want[d.Recipient-1] || len(d.Segments) != 1 {
			t.Errorf("webhook: recipient %d to %s channel %s", d.Recipient, d.To, d.Channel)
		}
		for _, sg := range d.Segments {
			if sg.Channel != d.Channel || sg.Stat != "DELIVRD" {
				t.Errorf("webhook segment on %s (%s), recipient on %s", sg.Channel, sg.Stat, d.Channel)
			}
		}
	}

	// MoveUnsent: queued on cm3 (no links), moved to cm2, sent once there.
	moved := numbers(6000, 3)
	id2 := uuid.NewString()
	if err := st.CreateRequest(ctx, store.NewRequest{ID: id2, Tenant: "acme", Channel: "cm3", CallbackURL: rcv.URL(),
		Recipients: moved, Segments: []store.Segment{{Content: []byte("moved")}}}); err != nil {
		t.Fatal(err)
	}
	res, err := st.MoveUnsent(ctx, "cm3", func(tenant string, numbers []string) []string {
		out := make([]string, len(numbers))
		for i := range out {
			out[i] = "cm2"
		}
		return out
	}, 10)
	if err != nil || res.Requests != 1 || res.Recipients != 3 || res.Segments != 3 {
		t.Fatalf("MoveUnsent = %+v, %v", res, err)
	}
	c.waitStatus(id2, 30*time.Second, "delivered")
	if got := getChannels(c, id2); strings.Join(got, ",") != "cm2,cm2,cm2" {
		t.Fatalf("GET channels after the move: %v", got)
	}
	check("sim2", received(sim2), to[1], to[3], moved[0], moved[1], moved[2])
	check("sim1", received(sim1), to[0], to[2])
}
