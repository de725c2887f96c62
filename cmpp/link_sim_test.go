package cmpp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
)

const (
	simSPID   = "901234"
	simSecret = "s3cret"
)

// newSim starts a simulator with one account (simSPID) and closes it at
// test end.
func newSim(t testing.TB, cfg ismgsim.Config, acct ismgsim.Account) *ismgsim.Server {
	t.Helper()
	acct.SPID, acct.Secret = simSPID, simSecret
	cfg.Accounts = append(cfg.Accounts, acct)
	if cfg.ActiveTestInterval == 0 {
		cfg.ActiveTestInterval = -1 // the simulator's own probes would count as traffic
	}
	srv, err := ismgsim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// simConfig is a link configuration for srv with test-friendly timers.
func simConfig(t *testing.T, srv *ismgsim.Server, v cmpp.Version) cmpp.LinkConfig {
	log, _ := testLogger(t)
	return cmpp.LinkConfig{
		Addr: srv.Addr(), SPID: simSPID, Secret: simSecret, Version: v,
		ConnectTimeout: testWait, Logger: log,
	}
}

// dialSim dials srv and closes the link at test end.
func dialSim(t *testing.T, cfg cmpp.LinkConfig) *cmpp.Link {
	t.Helper()
	l, err := cmpp.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	closeLink(t, l)
	return l
}

// simSubmit is a SUBMIT the simulator accepts; report asks for a status
// report.
func simSubmit(dest string, report bool) *cmpp.Submit {
	s := testSubmit(dest)
	s.MsgSrc = simSPID
	if !report {
		s.RegisteredDelivery = 0
	}
	return s
}

func TestLinkLoginSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		srv := newSim(t, ismgsim.Config{}, ismgsim.Account{MaxLinks: 1})
		t.Run("success", func(t *testing.T) {
			l := dialSim(t, simConfig(t, srv, v))
			if l.State() != cmpp.StateReady || l.Version() != v || l.Err() != nil {
				t.Fatalf("State %v Version %v Err %v", l.State(), l.Version(), l.Err())
			}
			eventually(t, "simulator sees the link", func() bool { return srv.Links(simSPID) == 1 })

			// MaxLinks 1: a second login is refused with Status 5.
			_, err := cmpp.Dial(context.Background(), simConfig(t, srv, v))
			var ce *cmpp.ConnectError
			if !errors.As(err, &ce) || ce.Status != 5 {
				t.Fatalf("second link: %v, want *ConnectError status 5", err)
			}
			if errors.Is(err, cmpp.ErrAuth) || errors.Is(err, cmpp.ErrUnknownAccount) {
				t.Fatalf("status 5 matches a wrong sentinel: %v", err)
			}
		})
		fails := []struct {
			name     string
			mutate   func(*cmpp.LinkConfig)
			status   uint32
			sentinel error
		}{
			{"unknown_sp_id", func(c *cmpp.LinkConfig) { c.SPID = "999999" }, 2, cmpp.ErrUnknownAccount},
			{"bad_secret", func(c *cmpp.LinkConfig) { c.Secret = "wrong" }, 3, cmpp.ErrAuth},
		}
		for _, f := range fails {
			t.Run(f.name, func(t *testing.T) {
				cfg := simConfig(t, srv, v)
				f.mutate(&cfg)
				_, err := cmpp.Dial(context.Background(), cfg)
				var ce *cmpp.ConnectError
				if !errors.As(err, &ce) || ce.Status != f.status || !errors.Is(err, f.sentinel) {
					t.Fatalf("Dial = %v, want *ConnectError status %d (%v)", err, f.status, f.sentinel)
				}
			})
		}
		t.Run("version_too_high", func(t *testing.T) {
			// A 2.0-only account refuses 2.1; a 2.x account refuses 3.0.
			srv := newSim(t, ismgsim.Config{}, ismgsim.Account{Version: cmpp.V20})
			cfg := simConfig(t, srv, cmpp.V21)
			if v.Is30() {
				if err := srv.UpdateAccount(ismgsim.Account{SPID: simSPID, Secret: simSecret, Version: cmpp.V21}); err != nil {
					t.Fatal(err)
				}
				cfg.Version = cmpp.V30
			}
			_, err := cmpp.Dial(context.Background(), cfg)
			var ce *cmpp.ConnectError
			if !errors.As(err, &ce) || ce.Status != 4 || !errors.Is(err, cmpp.ErrVersionTooHigh) {
				t.Fatalf("Dial = %v, want *ConnectError status 4", err)
			}
		})
	})
}

// 10,000 SUBMITs from 64 goroutines through one link with window 16: every
// one answered with a distinct Msg_Id, never more than 16 in flight.
func TestLinkSubmitWindowSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		const total, workers, window = 10_000, 64, 16
		srv := newSim(t, ismgsim.Config{}, ismgsim.Account{})
		cfg := simConfig(t, srv, v)
		cfg.Window = window
		l := dialSim(t, cfg)

		// Sample InFlight periodically too, as an outside observer (a
		// spinning sampler would starve the netpoller with GOMAXPROCS=1).
		var maxSeen atomic.Int64
		stopSampling := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(100 * time.Microsecond)
			defer tick.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case <-tick.C:
				}
				if n := int64(l.Stats().InFlight); n > maxSeen.Load() {
					maxSeen.Store(n)
				}
			}
		}()

		var next atomic.Int64
		var mu sync.Mutex
		ids := make(map[cmpp.MsgID]bool, total)
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for next.Add(1) <= total {
					resp, err := l.Submit(context.Background(), simSubmit("13800138000", false))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					dup := ids[resp.MsgID]
					ids[resp.MsgID] = true
					mu.Unlock()
					if dup {
						errs <- errors.New("duplicate Msg_Id " + resp.MsgID.String())
						return
					}
				}
			})
		}
		wg.Wait()
		close(stopSampling)
		<-sampled
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(ids) != total {
			t.Fatalf("%d distinct Msg_Ids, want %d", len(ids), total)
		}
		st := l.Stats()
		if st.PeakInFlight > window || maxSeen.Load() > window || st.PeakInFlight < 2 {
			t.Fatalf("peak in flight %d (sampled %d), window %d", st.PeakInFlight, maxSeen.Load(), window)
		}
		if st.Submitted != total || st.Responses != total || st.InFlight != 0 || st.Timeouts != 0 || st.Retransmits != 0 {
			t.Fatalf("Stats %+v", st)
		}
		got := srv.ReceivedFor(simSPID, 0)
		if len(got) != total {
			t.Fatalf("simulator received %d segments, want %d", len(got), total)
		}
		seqs := make(map[uint32]bool, total)
		for _, r := range got {
			if !ids[r.MsgID] || seqs[r.Seq] {
				t.Fatalf("received segment %+v: unknown Msg_Id or repeated Sequence_Id", r)
			}
			seqs[r.Seq] = true
		}
	})
}

// Over the account rate the ISMG answers Result 8: a retryable
// *ResultError returned with the response.
func TestLinkFlowControlSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		srv := newSim(t, ismgsim.Config{}, ismgsim.Account{MaxSubmitsPerSec: 5, SrcIDPrefix: "1069"})
		l := dialSim(t, simConfig(t, srv, v))
		flowControlled := 0
		for range 40 {
			resp, err := l.Submit(context.Background(), simSubmit("13800138000", false))
			var re *cmpp.ResultError
			if errors.As(err, &re) {
				if re.Result != 8 || !re.Retryable() || re.Command != cmpp.CmdSubmitResp || resp == nil || resp.Result != 8 {
					t.Fatalf("resp %+v err %v", resp, err)
				}
				flowControlled++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if flowControlled == 0 {
			t.Fatal("no Result 8 over the account rate")
		}
		if c := srv.Counts()[simSPID]; c.FlowControlled != uint64(flowControlled) {
			t.Fatalf("simulator flow-controlled %d, link saw %d", c.FlowControlled, flowControlled)
		}
		// A final Result (10: Src_Id outside the prefix) is not retryable.
		s := simSubmit("13800138000", false)
		s.SrcID = "10860000"
		if err := srv.UpdateAccount(ismgsim.Account{SPID: simSPID, Secret: simSecret, SrcIDPrefix: "1069"}); err != nil {
			t.Fatal(err)
		}
		_, err := l.Submit(context.Background(), s)
		var re *cmpp.ResultError
		if !errors.As(err, &re) || re.Result != 10 || re.Retryable() {
			t.Fatalf("Submit = %v, want non-retryable Result 10", err)
		}
	})
}

// collector is a DeliverHandler that records reports and MOs.
type collector struct {
	mu      sync.Mutex
	reports map[cmpp.MsgID]*cmpp.Report
	mos     []*cmpp.Deliver
	fail    atomic.Int32 // fail this many calls first
	calls   atomic.Int32
}

func newCollector() *collector { return &collector{reports: map[cmpp.MsgID]*cmpp.Report{}} }

func (c *collector) handle(_ context.Context, d *cmpp.Deliver) error {
	c.calls.Add(1)
	if c.fail.Add(-1) >= 0 {
		return errors.New("try again later")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.RegisteredDelivery == 1 {
		r, err := d.Report()
		if err != nil {
			return err
		}
		c.reports[r.MsgID] = r
		return nil
	}
	c.mos = append(c.mos, d)
	return nil
}

func (c *collector) counts() (reports, mos int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reports), len(c.mos)
}

// Status reports and MOs reach the handler; report Msg_Id == SUBMIT_RESP
// Msg_Id; every DELIVER is acknowledged after the handler returned nil.
func TestLinkReportsAndMOSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		srv := newSim(t, ismgsim.Config{ReportDelay: 5 * time.Millisecond,
			StatMix: []ismgsim.StatWeight{{Stat: "DELIVRD", Weight: 1}}}, ismgsim.Account{})
		col := newCollector()
		cfg := simConfig(t, srv, v)
		cfg.DeliverHandler = col.handle
		l := dialSim(t, cfg)

		const n = 20
		want := map[cmpp.MsgID]string{}
		for i := range n {
			dest := "1380013" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00"
			resp, err := l.Submit(context.Background(), simSubmit(dest, true))
			if err != nil {
				t.Fatal(err)
			}
			want[resp.MsgID] = dest
		}
		eventually(t, "all reports acknowledged", func() bool { return srv.Counts()[simSPID].ReportsAcked == n })
		col.mu.Lock()
		for id, dest := range want {
			r := col.reports[id]
			if r == nil || r.Stat != "DELIVRD" || r.DestTerminalID != dest {
				t.Errorf("report for %v (%s): %+v", id, dest, r)
			}
		}
		col.mu.Unlock()

		// MO: one short, one long (several segments with a UDH).
		ctx := context.Background()
		if err := srv.InjectMO(ctx, ismgsim.MO{SPID: simSPID, From: "13900139000", To: "1069012301", Text: "hello"}); err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("long message text ", 20) // 360 ASCII characters
		if err := srv.InjectMO(ctx, ismgsim.MO{SPID: simSPID, From: "13900139001", To: "1069012302", Text: long}); err != nil {
			t.Fatal(err)
		}
		// Segments may arrive in any order; wait for all of them.
		eventually(t, "MOs handled", func() bool {
			col.mu.Lock()
			defer col.mu.Unlock()
			n := 0
			for _, d := range col.mos {
				if d.SrcTerminalID == "13900139001" && len(d.MsgContent) > 0 {
					n += len(d.MsgContent) - int(d.MsgContent[0]) - 1
				}
			}
			return n >= len(long)
		})
		eventually(t, "MOs acknowledged", func() bool {
			c := srv.Counts()[simSPID]
			return c.MOAcked == c.MOSent && c.MOAcked >= 3
		})
		col.mu.Lock()
		defer col.mu.Unlock()
		var short, segs int
		parts := map[byte][]byte{} // UDH index → payload
		for _, d := range col.mos {
			switch d.SrcTerminalID {
			case "13900139000":
				short++
				if string(d.MsgContent) != "hello" || d.DestID != "1069012301" || d.TPUDHI&0x41 != 0 {
					t.Errorf("short MO %+v", d)
				}
			case "13900139001":
				segs++
				if d.TPUDHI&0x41 == 0 || len(d.MsgContent) < 6 || d.DestID != "1069012302" {
					t.Fatalf("long MO segment %+v", d)
				}
				udh := d.MsgContent[:int(d.MsgContent[0])+1]
				parts[udh[len(udh)-1]] = d.MsgContent[len(udh):]
			}
		}
		var joined []byte
		for i := 1; i <= len(parts); i++ {
			joined = append(joined, parts[byte(i)]...)
		}
		if short != 1 || segs < 2 || segs != len(parts) || string(joined) != long {
			t.Fatalf("short %d, segments %d, joined %d bytes (want %d)", short, segs, len(joined), len(long))
		}
		if st := l.Stats(); st.DeliversHandled != uint64(n+1+segs) || st.DeliverErrors != 0 {
			t.Fatalf("Stats %+v", st)
		}
	})
}

// DELIVER_RESP follows the handler's return: while the handler blocks the
// ISMG sees no acknowledgement; a handler error makes the ISMG resend.
func TestLinkDeliverAckAfterHandlerSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		srv := newSim(t, ismgsim.Config{ReportDelay: -1, ResponseTimeout: 100 * time.Millisecond}, ismgsim.Account{})
		release := make(chan struct{})
		entered := make(chan struct{}, 8)
		var calls atomic.Int32
		cfg := simConfig(t, srv, v)
		cfg.DeliverHandler = func(ctx context.Context, d *cmpp.Deliver) error {
			entered <- struct{}{}
			if calls.Add(1) == 1 {
				return errors.New("first attempt fails")
			}
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		l := dialSim(t, cfg)
		if _, err := l.Submit(context.Background(), simSubmit("13800138000", true)); err != nil {
			t.Fatal(err)
		}
		<-entered // first attempt: error, no ack
		<-entered // the ISMG resent it; the handler now blocks
		c := srv.Counts()[simSPID]
		if c.ReportsAcked != 0 || c.ReportsResent == 0 {
			t.Fatalf("before release: %+v", c)
		}
		close(release)
		eventually(t, "report acknowledged", func() bool { return srv.Counts()[simSPID].ReportsAcked == 1 })
		if st := l.Stats(); st.DeliverErrors != 1 || st.DeliversHandled != 1 {
			t.Fatalf("Stats %+v", st)
		}
	})
}

// A link killed while 16 SUBMITs are in flight fails every pending call
// (and those waiting for a slot) at once with ErrLinkClosed.
func TestLinkKilledMidStreamSim(t *testing.T) {
	kills := map[string]func(srv *ismgsim.Server){
		"remove_account": func(srv *ismgsim.Server) { srv.RemoveAccount(simSPID) },
		"server_close":   func(srv *ismgsim.Server) { srv.Close() },
		"close_links_every": func(srv *ismgsim.Server) {
			f := srv.Faults()
			f.CloseLinksEvery = 10 * time.Millisecond
			srv.SetFaults(f)
		},
	}
	versions(t, func(t *testing.T, v cmpp.Version) {
		for name, kill := range kills {
			t.Run(name, func(t *testing.T) {
				srv := newSim(t, ismgsim.Config{}, ismgsim.Account{})
				srv.SetFaults(ismgsim.Faults{ResponseDelay: time.Hour})
				l := dialSim(t, simConfig(t, srv, v))
				const calls = 20 // 16 in flight, 4 waiting for a slot
				var chans []<-chan submitOutcome
				for range calls {
					chans = append(chans, asyncSubmit(context.Background(), l, simSubmit("13800138000", false)))
				}
				eventually(t, "16 SUBMITs at the simulator", func() bool {
					return srv.Counts()[simSPID].Submits == 16
				})
				if st := l.Stats(); st.InFlight != 16 {
					t.Fatalf("InFlight %d", st.InFlight)
				}
				start := time.Now()
				kill(srv)
				for _, ch := range chans {
					mustLinkClosed(t, outcome(t, ch).err)
				}
				if d := time.Since(start); d > testWait/2 {
					t.Fatalf("pending calls took %v to fail", d)
				}
				<-l.Done()
				if st := l.Stats(); st.State != cmpp.StateClosed || st.InFlight != 0 {
					t.Fatalf("Stats %+v", st)
				}
			})
		}
	})
}

// An idle link sends ACTIVE_TEST after IdleInterval and stays up; a silent
// peer is declared dead within IdleInterval + N·T.
func TestLinkKeepAliveSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		const idle, T, N = 50 * time.Millisecond, 100 * time.Millisecond, 3
		srv := newSim(t, ismgsim.Config{}, ismgsim.Account{})
		cfg := simConfig(t, srv, v)
		cfg.IdleInterval, cfg.ResponseTimeout, cfg.Transmissions = idle, T, N
		l := dialSim(t, cfg)

		eventually(t, "3 ACTIVE_TESTs", func() bool { return l.Stats().ActiveTestsSent >= 3 })
		if l.State() != cmpp.StateReady {
			t.Fatalf("State %v Err %v", l.State(), l.Err())
		}
		if _, err := l.Submit(context.Background(), simSubmit("13800138000", false)); err != nil {
			t.Fatal(err)
		}

		srv.SetFaults(ismgsim.Faults{Silent: true})
		start := time.Now()
		select {
		case <-l.Done():
		case <-time.After(testWait):
			t.Fatal("silent peer not detected")
		}
		took := time.Since(start)
		// The first unanswered probe may have left up to T before the
		// fault; tick granularity is min(idle, T)/4; allow scheduling slack.
		if lo, hi := (N-1)*T, idle+N*T+500*time.Millisecond; took > hi || took < lo {
			t.Fatalf("dead after %v, want within [%v, %v]", took, lo, hi)
		}
		if !errors.Is(l.Err(), cmpp.ErrHeartbeatTimeout) || !errors.Is(l.Err(), cmpp.ErrLinkClosed) {
			t.Fatalf("Err %v", l.Err())
		}
	})
}

// With every SUBMIT_RESP dropped, a SUBMIT is sent N times with the same
// Sequence_Id and then fails with ErrResponseTimeout, freeing its slot.
func TestLinkResponseTimeoutSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		srv := newSim(t, ismgsim.Config{}, ismgsim.Account{})
		srv.SetFaults(ismgsim.Faults{DropResponseRatio: 1})
		cfg := simConfig(t, srv, v)
		cfg.ResponseTimeout, cfg.Transmissions, cfg.Window = 30*time.Millisecond, 3, 1
		l := dialSim(t, cfg)
		_, err := l.Submit(context.Background(), simSubmit("13800138000", false))
		if !errors.Is(err, cmpp.ErrResponseTimeout) {
			t.Fatalf("Submit = %v, want ErrResponseTimeout", err)
		}
		got := srv.ReceivedFor(simSPID, 0)
		if len(got) != 3 || got[0].Seq != got[1].Seq || got[1].Seq != got[2].Seq {
			t.Fatalf("simulator received %+v, want 3 copies with one Sequence_Id", got)
		}
		if st := l.Stats(); st.Timeouts != 1 || st.Retransmits != 2 || st.InFlight != 0 {
			t.Fatalf("Stats %+v", st)
		}
		// The slot (window 1) is free again.
		srv.SetFaults(ismgsim.Faults{})
		if _, err := l.Submit(context.Background(), simSubmit("13800138000", false)); err != nil {
			t.Fatal(err)
		}
	})
}

// Close waits for the in-flight SUBMITs, then ends the session with
// TERMINATE/TERMINATE_RESP.
func TestLinkGracefulCloseSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		srv := newSim(t, ismgsim.Config{}, ismgsim.Account{})
		srv.SetFaults(ismgsim.Faults{ResponseDelay: 100 * time.Millisecond})
		l := dialSim(t, simConfig(t, srv, v))
		var chans []<-chan submitOutcome
		for range 16 {
			chans = append(chans, asyncSubmit(context.Background(), l, simSubmit("13800138000", false)))
		}
		eventually(t, "16 in flight", func() bool { return l.Stats().InFlight == 16 })
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		for _, ch := range chans {
			if o := outcome(t, ch); o.err != nil {
				t.Fatalf("in-flight Submit: %v", o.err)
			}
		}
		if !errors.Is(l.Err(), cmpp.ErrClosedByUser) {
			t.Fatalf("Err %v", l.Err())
		}
		eventually(t, "simulator link gone", func() bool { return srv.Links(simSPID) == 0 })
		_, err := l.Submit(context.Background(), simSubmit("13800138000", false))
		mustLinkClosed(t, err)
	})
}

// QUERY and CANCEL round trips.
func TestLinkQueryCancelSim(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		srv := newSim(t, ismgsim.Config{ReportDelay: time.Hour}, ismgsim.Account{})
		l := dialSim(t, simConfig(t, srv, v))
		ctx := context.Background()
		var ids []cmpp.MsgID
		for range 3 {
			resp, err := l.Submit(ctx, simSubmit("13800138000", true))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, resp.MsgID)
		}
		q, err := l.Query(ctx, &cmpp.Query{Time: time.Now().Format("20060102")})
		if err != nil {
			t.Fatal(err)
		}
		if q.MTTLMsg != 3 || q.MTScs != 3 {
			t.Fatalf("QUERY_RESP %+v", q)
		}
		c, err := l.Cancel(ctx, ids[1])
		if err != nil || c.SuccessID != 0 {
			t.Fatalf("Cancel = %+v, %v", c, err)
		}
		c, err = l.Cancel(ctx, ids[1]) // already cancelled
		var re *cmpp.ResultError
		if !errors.As(err, &re) || re.Command != cmpp.CmdCancelResp || re.Result != 1 || c == nil || re.Retryable() {
			t.Fatalf("second Cancel = %+v, %v", c, err)
		}
		if got := srv.Counts()[simSPID].ReportsCancelled; got != 1 {
			t.Fatalf("ReportsCancelled %d", got)
		}
	})
}
