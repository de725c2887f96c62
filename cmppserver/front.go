package cmppserver

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// front is the server's state for accepting and running links (owner:
// the connection layer: server.go, conn*.go, login.go).
type front struct {
	// linkSeq numbers this replica's links (link ids are ReplicaID-n).
	linkSeq atomic.Uint64
	// conns counts the goroutines of accepted connections (read loops,
	// writers, terminations); Run waits for them.
	conns sync.WaitGroup

	mu sync.Mutex
	// links holds the logged-in links by account.
	links map[string]map[*link]struct{}
	// draining is set by Run's shutdown: SUBMITs get Result 8 and no new
	// login succeeds.
	draining bool

	linksGauge *prometheus.GaugeVec
	logins     *prometheus.CounterVec
}

// addLink registers a logged-in link; false when the server is draining.
func (f *front) addLink(l *link) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.draining {
		return false
	}
	set := f.links[l.account]
	if set == nil {
		set = make(map[*link]struct{})
		f.links[l.account] = set
	}
	set[l] = struct{}{}
	f.linksGauge.WithLabelValues(l.account).Inc()
	return true
}

// removeLink forgets l (once it is closed).
func (f *front) removeLink(l *link) {
	f.mu.Lock()
	defer f.mu.Unlock()
	set := f.links[l.account]
	if _, ok := set[l]; !ok {
		return
	}
	delete(set, l)
	if len(set) == 0 {
		delete(f.links, l.account)
	}
	f.linksGauge.WithLabelValues(l.account).Dec()
}

// allLinks returns the logged-in links.
func (f *front) allLinks() []*link {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*link
	for _, set := range f.links {
		for l := range set {
			out = append(out, l)
		}
	}
	return out
}

// accountLinks returns the logged-in links of account.
func (f *front) accountLinks(account string) []*link {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*link, 0, len(f.links[account]))
	for l := range f.links[account] {
		out = append(out, l)
	}
	return out
}

// isDraining reports whether Run is shutting down.
func (f *front) isDraining() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.draining
}
