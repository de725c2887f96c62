package failover

import (
	"errors"
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/store"
)

// Rules say when one channel counts as failed (config channels[].failover).
// The registry fills the defaults below for keys left out.
type Rules struct {
	// NoLinkFor: the channel is down when no replica has had a logged-in
	// link for this long. 0 turns the rule off. Default 30s.
	NoLinkFor time.Duration
	// ProblemResults are SUBMIT_RESP Results that mean "channel problem"
	// (account suspended, gateway fault...), not a bad number: such a
	// segment was not accepted, so it is retried (and may move), never
	// failed. The channel is down when, over the last ProblemSpan, at
	// least ProblemMin SUBMITs got one and they outnumber the accepted
	// ones. Empty turns the rule off. Default none.
	ProblemResults []uint32
	// FailureShare: the channel is down when, over Window, the share of
	// its segments that failed or got no report exceeds this, counted
	// with at least MinSegments segments. 0 turns the rule off. Default
	// 0.5.
	FailureShare float64
	// Window is the failure share's sliding window. Default 5m.
	Window time.Duration
	// MinSegments is the fewest segments in Window for the share to
	// count. Default 50.
	MinSegments int
	// HealthyFor is how long a down channel must stay healthy (links up
	// on some replica, and at least this long since it went down) before
	// it takes traffic again. Default 1m.
	HealthyFor time.Duration
}

// Defaults of Rules (the registry applies them to keys left out).
const (
	DefaultNoLinkFor    = 30 * time.Second
	DefaultFailureShare = 0.5
	DefaultWindow       = 5 * time.Minute
	DefaultMinSegments  = 50
	DefaultHealthyFor   = time.Minute
)

// Fixed figures of the rules.
const (
	// ProblemSpan is the span over which problem Results are counted.
	ProblemSpan = 10 * time.Second
	// ProblemMin is the fewest problem Results in ProblemSpan that trip
	// the channel (and they must outnumber the accepted SUBMITs).
	ProblemMin = 5
	// MaxProblemResults bounds problem_results.
	MaxProblemResults = 32
)

// Validate returns every problem of r, each naming its key relative to
// the failover section ("window: ...").
func (r Rules) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if r.NoLinkFor < 0 {
		add("no_link_for", "must not be negative (0 turns the rule off)")
	}
	if len(r.ProblemResults) > MaxProblemResults {
		add("problem_results", "at most %d Results", MaxProblemResults)
	}
	for i, res := range r.ProblemResults {
		if res == cmpp.ResultOK || res == cmpp.ResultFlowControl {
			add(fmt.Sprintf("problem_results[%d]", i), "%d cannot be a problem Result (0 is success, 8 flow control, which has its own back-off)", res)
		}
	}
	if r.FailureShare < 0 || r.FailureShare >= 1 {
		add("failure_share", "must be in [0, 1) (0 turns the rule off), not %v", r.FailureShare)
	}
	if r.Window < time.Second {
		add("window", "must be at least 1s")
	}
	if r.MinSegments < 1 {
		add("min_segments", "must be at least 1")
	}
	if r.HealthyFor < time.Second {
		add("healthy_for", "must be at least 1s")
	}
	return errors.Join(errs...)
}

// isProblem reports whether res is one of r's problem Results.
func (r Rules) isProblem(res uint32) bool {
	for _, p := range r.ProblemResults {
		if p == res {
			return true
		}
	}
	return false
}

// storeRules converts r to the figures the store's tick evaluates.
func (r Rules) storeRules(tick time.Duration) store.HealthRules {
	pmin := 0
	if len(r.ProblemResults) > 0 {
		pmin = ProblemMin
	}
	return store.HealthRules{
		NoLinkFor: r.NoLinkFor, Window: r.Window, FailureShare: r.FailureShare, MinSegments: r.MinSegments,
		HealthyFor: r.HealthyFor, ProblemSpan: ProblemSpan, ProblemMin: pmin,
		// A replica with a link refreshes it every tick; allow for two
		// late ticks before links count as down again.
		LinkFresh: 3 * tick,
	}
}
