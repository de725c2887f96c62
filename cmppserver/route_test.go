package cmppserver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
)

// prefixCarriers is the tests' carrier lookup: 138… cmcc, 186… cucc,
// 192… cbn, anything else unknown.
func prefixCarriers(_ context.Context, numbers []string) ([]string, error) {
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = map[string]string{"138": "cmcc", "186": "cucc", "192": "cbn"}[n[:3]]
	}
	return out, nil
}

// A customer's SUBMITs are routed by carrier like POST /sms: China
// Mobile to ch1, the rest to ch2; destinations on both make one request
// in two parts; what no channel reaches is refused with Result 13; Src_Id
// is checked on the channel routed to.
func TestSubmitRoutedByCarrier(t *testing.T) {
	env := testenv.Redis(t)
	channels := []registry.Channel{
		{Name: "ch1", SrcID: "10690001", Carriers: []string{"cmcc"}},
		{Name: "ch2", SrcID: "1069000200000000", Carriers: []string{"cucc"}}, // 16 digits: ext of at most 5
	}
	tn := testTenant()
	tn.Channels = []string{"ch2", "ch1"}
	tn.Routes = registry.Routes{"cmcc": {{"ch1": 1}}, "*": {{"ch2": 1}}}
	ts := startServerOn(t, env, Config{}, "r1", channels, prefixCarriers, tn)
	l := ts.dial(t, cmpp.V30, nil)
	submit := func(s *cmpp.Submit) uint32 {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := l.Submit(ctx, s)
		var re *cmpp.ResultError
		switch {
		case errors.As(err, &re):
			return re.Result
		case err != nil:
			t.Fatal(err)
		}
		return r.Result
	}
	if r := submit(ucs2Submit("13800000001")); r != resultOK {
		t.Fatalf("China Mobile: Result %d", r)
	}
	if r := submit(ucs2Submit("8618600000001")); r != resultOK {
		t.Fatalf("China Unicom: Result %d", r)
	}
	depth := func(ch string) int64 {
		st, err := ts.st.QueueDepth(context.Background(), ch)
		if err != nil {
			t.Fatal(err)
		}
		return st.Pending
	}
	if d1, d2 := depth("ch1"), depth("ch2"); d1 != 1 || d2 != 1 {
		t.Fatalf("queued ch1 %d, ch2 %d; want 1 and 1", d1, d2)
	}
	for _, c := range []struct {
		name string
		s    *cmpp.Submit
		want uint32
	}{
		{"no channel reaches cbn", ucs2Submit("19200000001"), resultDest},
		{"two channels", ucs2Submit("13800000001", "18600000001"), resultOK},
	} {
		if r := submit(c.s); r != c.want {
			t.Errorf("%s: Result %d, want %d", c.name, r, c.want)
		}
	}
	if d1, d2 := depth("ch1"), depth("ch2"); d1 != 2 || d2 != 2 {
		t.Fatalf("after the two-channel SUBMIT: queued ch1 %d, ch2 %d; want 2 and 2", d1, d2)
	}
	long := ucs2Submit("18600000001") // MOExt 7 + 4999 = 5 digits: fits ch2
	long.SrcID = "10658000014999"
	if r := submit(long); r != resultOK {
		t.Errorf("ext of 5 on ch2: Result %d", r)
	}
	long.SrcID += "9"
	if r := submit(long); r != resultSrcID {
		t.Errorf("ext of 6 on ch2: Result %d, want %d", r, resultSrcID)
	}
	long.DestTerminalIDs = []string{"13800000001"}
	if r := submit(long); r != resultOK {
		t.Errorf("ext of 6 on ch1: Result %d", r)
	}
	if d1, d2 := depth("ch1"), depth("ch2"); d1 != 3 || d2 != 3 {
		t.Fatalf("queued ch1 %d, ch2 %d; want 3 and 3", d1, d2)
	}
}
