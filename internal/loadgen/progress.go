package loadgen

import (
	"context"
	"fmt"
	"time"
)

// progressState is what the previous progress line saw.
type progressState struct {
	at                       time.Time
	sent, accepted, webhooks int64
	submits                  float64
	haveSubmits              bool
}

// progress writes one line per interval until ctx is done, scraping
// /metrics each time (for the current submit rate and the peaks).
func (r *runner) progress(ctx context.Context, start time.Time, first *ServiceCounters) {
	tick := time.NewTicker(r.cfg.ProgressInterval)
	defer tick.Stop()
	prev := progressState{at: time.Now()}
	if first != nil {
		prev.submits, prev.haveSubmits = first.SubmitsOK, true
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		cur := progressState{
			at: now, sent: r.poster.sent.Load(), accepted: r.poster.accepted.Load(),
			webhooks: r.tr.uniqueEvents(),
		}
		var svc *ServiceCounters
		if r.scraper != nil {
			sctx, cancel := context.WithTimeout(ctx, r.cfg.ProgressInterval)
			c, err := r.scraper.scrape(sctx)
			cancel()
			if err == nil {
				svc = &c
				r.notePeaks(c)
				cur.submits, cur.haveSubmits = c.SubmitsOK, true
			}
		}
		if r.cfg.Progress != nil {
			r.writeProgress(now.Sub(start), prev, cur, svc)
		}
		prev = cur
	}
}

func (r *runner) writeProgress(elapsed time.Duration, prev, cur progressState, svc *ServiceCounters) {
	dt := cur.at.Sub(prev.at).Seconds()
	line := fmt.Sprintf("[%6.1fs] sent %d (%.0f/s) accepted %d (%.0f/s) webhooks %d (%.0f/s)",
		elapsed.Seconds(), cur.sent, perSec(float64(cur.sent-prev.sent), dt),
		cur.accepted, perSec(float64(cur.accepted-prev.accepted), dt),
		cur.webhooks, perSec(float64(cur.webhooks-prev.webhooks), dt))
	if svc != nil && prev.haveSubmits {
		line += fmt.Sprintf(" | service: submits %.0f/s pending %.0f leased %.0f awaiting-report %.0f events %.0f rss %.0fMB |",
			perSec(cur.submits-prev.submits, dt), svc.QueuePending, svc.QueueLeased, svc.QueueAwaiting, svc.EventsReady, svc.RSSBytes/1e6)
	}
	line += fmt.Sprintf(" in-flight %d outstanding %d errors %d",
		r.poster.sent.Load()-r.poster.completed.Load(), r.tr.outstanding(), r.poster.failed.Load())
	fmt.Fprintln(r.cfg.Progress, line)
}
