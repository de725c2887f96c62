package registry

import (
	"fmt"
	"slices"

	"github.com/smsbridge/smsbridge/internal/failover"
)

// ChannelFailover is a channel's failover section: when the channel
// counts as failed and when it takes traffic again. internal/failover
// owns the meaning, the defaults and the checks of each key (see
// failover.Rules).
type ChannelFailover struct {
	// NoLinkFor: down after no logged-in link on any replica this long.
	// 0 turns the rule off; left out (nil), the default 30s.
	NoLinkFor *Duration `yaml:"no_link_for" json:"no_link_for"`
	// ProblemResults are the SUBMIT_RESP Results that mean "channel
	// problem" (retried, never failed). Default none (rule off).
	ProblemResults []uint32 `yaml:"problem_results" json:"problem_results"`
	// FailureShare: down when failed + no-report segments exceed this
	// share of the window's segments. 0 turns the rule off; left out
	// (nil), the default 0.5.
	FailureShare *float64 `yaml:"failure_share" json:"failure_share"`
	// Window is the failure share's sliding window. Default 5m.
	Window Duration `yaml:"window" json:"window"`
	// MinSegments is the fewest segments in the window for the share to
	// count. Default 50.
	MinSegments int `yaml:"min_segments" json:"min_segments"`
	// HealthyFor is how long the channel must be healthy again before it
	// fails back. Default 1m.
	HealthyFor Duration `yaml:"healthy_for" json:"healthy_for"`
}

// FillDefaults applies failover's defaults to keys left out; given
// reports whether the source set a key of the section ("window").
func (f *ChannelFailover) FillDefaults(given func(key string) bool) {
	if f.NoLinkFor == nil {
		d := Duration(failover.DefaultNoLinkFor)
		f.NoLinkFor = &d
	}
	if f.FailureShare == nil {
		v := failover.DefaultFailureShare
		f.FailureShare = &v
	}
	if f.ProblemResults == nil {
		f.ProblemResults = []uint32{}
	}
	setDefaultDur(&f.Window, failover.DefaultWindow, given("window"))
	setDefaultInt(&f.MinSegments, failover.DefaultMinSegments, given("min_segments"))
	setDefaultDur(&f.HealthyFor, failover.DefaultHealthyFor, given("healthy_for"))
}

// Rules returns the section as failover rules (after FillDefaults; a nil
// key reads as 0).
func (f *ChannelFailover) Rules() failover.Rules {
	r := failover.Rules{
		ProblemResults: slices.Clone(f.ProblemResults), Window: f.Window.D(),
		MinSegments: f.MinSegments, HealthyFor: f.HealthyFor.D(),
	}
	if f.NoLinkFor != nil {
		r.NoLinkFor = f.NoLinkFor.D()
	}
	if f.FailureShare != nil {
		r.FailureShare = *f.FailureShare
	}
	return r
}

// validate returns failover's problems with the section, each key under
// "failover.".
func (f *ChannelFailover) validate() []error {
	r := f.Rules()
	var out []error
	for _, e := range leaves(r.Validate()) {
		out = append(out, fmt.Errorf("failover.%w", e))
	}
	return out
}
