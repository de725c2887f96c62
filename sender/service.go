package sender

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// ErrUnknownChannel means the Service has no channel of that name.
var ErrUnknownChannel = errors.New("sender: unknown channel")

// ErrServiceStopped means the Service is shutting down (BeginShutdown, or
// Run's context is done): no channel starts any more.
var ErrServiceStopped = errors.New("sender: service stopped")

// Service runs the channels of the process. The set changes while it runs:
// Add starts a channel, Remove stops one with the drain of a shutdown, and
// Replace swaps a channel for a new one of the same name (the old one
// drained completely first, so the two never send at once). Every method
// is safe for concurrent use.
type Service struct {
	mu      sync.Mutex
	current map[string]*instance   // the channel set, by name
	last    map[string]*instance   // latest instance of each name not yet stopped: the next one waits for it
	live    map[*instance]struct{} // not yet stopped: current, or stopping after Remove or Replace
	runCtx  context.Context        // Run's; nil before Run
	stopped bool                   // BeginShutdown, or Run's ctx ended: nothing starts any more
	wg      sync.WaitGroup         // instance goroutines
}

// instance is one Channel given to the Service. A name has a new instance
// per Replace (or Add after Remove); it runs only once the one before it
// has stopped.
type instance struct {
	ch       *Channel
	quit     chan struct{} // closed to stop it (Remove, Replace)
	quitOnce sync.Once
	done     chan struct{} // closed once it has stopped, or will never run
	removed  bool          // left the set by Remove (not Replace); s.mu guards it
}

func (in *instance) stop() { in.quitOnce.Do(func() { close(in.quit) }) }

// NewService groups channels; names must be unique. More can be added,
// removed or replaced later, before or while Run runs.
func NewService(channels ...*Channel) (*Service, error) {
	s := &Service{current: map[string]*instance{}, last: map[string]*instance{}, live: map[*instance]struct{}{}}
	for _, c := range channels {
		if err := s.Add(context.Background(), c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Run runs every channel of the set, and those added later, until ctx is
// cancelled and every channel has drained (see Channel.Run). It may be
// called once.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.runCtx != nil {
		s.mu.Unlock()
		return errors.New("sender: Service.Run called twice")
	}
	s.runCtx = ctx
	for _, name := range slices.Sorted(maps.Keys(s.current)) {
		s.start(s.current[name], nil) // before Run nothing ran: no predecessor
	}
	s.mu.Unlock()

	<-ctx.Done()
	s.mu.Lock()
	s.stopped = true // no instance starts after this, so Wait is final
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Add puts c in the set and, once Run runs, starts it: its links log in
// and its leaser takes the jobs queued for it. If a channel of the same
// name was removed and is still draining, c starts once that drain is
// over. Add does not wait for the start; ctx is not used (it is there for
// symmetry with Remove and Replace). It fails when the set already has
// c's name, c was given to a Service before (a Channel runs once), or the
// shutdown began (BeginShutdown, or Run's ctx ended).
func (s *Service) Add(ctx context.Context, c *Channel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("sender: add channel %q: %w", c.Name(), ErrServiceStopped)
	}
	if _, dup := s.current[c.Name()]; dup {
		return fmt.Errorf("sender: duplicate channel %q", c.Name())
	}
	if !c.given.CompareAndSwap(false, true) {
		return fmt.Errorf("sender: channel %q was given to a Service before: build a new Channel", c.Name())
	}
	s.put(c)
	return nil
}

// Remove takes the channel called name out of the set and stops it the way
// a shutdown does: no new lease, jobs leased and not yet sent released to
// the queue at once, SUBMITs in flight answered and their outcomes stored
// (up to the channel's DrainTimeout; then those still unanswered return
// through their leases), every link ended with TERMINATE. It returns once
// the channel has stopped. If ctx ends first, the drain is ended at once
// (Channel.EndDrain) and Remove returns ctx.Err() once the channel has
// stopped. The channel's name is free as soon as Remove is called: a
// channel added under it starts once this one has stopped. The link
// gauges of the channel (state, window in use) are deleted unless a
// channel of the same name was added meanwhile; its counters stay.
func (s *Service) Remove(ctx context.Context, name string) error {
	st, err := s.BeginRemove(name)
	if err != nil {
		return err
	}
	return st.Wait(ctx)
}

// BeginRemove is Remove without the wait: the channel has left the set
// when it returns, and the Stopping it returns tells when it has stopped.
func (s *Service) BeginRemove(name string) (*Stopping, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.current[name]
	if old == nil {
		return nil, fmt.Errorf("sender: remove channel %q: %w", name, ErrUnknownChannel)
	}
	delete(s.current, name)
	old.removed = true
	s.retire(old)
	return &Stopping{in: old}, nil
}

// Replace swaps the channel of c's name for c: the old one is stopped as
// by Remove and, once it has stopped completely, c starts (the two never
// send at once; the gap is the drain) unless the shutdown began meanwhile
// (BeginShutdown, or Run's ctx ended). It returns once the old channel
// has stopped; if ctx ends first, the old drain is ended at once
// (Channel.EndDrain), and Replace returns ctx.Err() once it has stopped —
// c starts either way. It fails, changing nothing, when the set has no
// channel of c's name, c was given to a Service before, or the shutdown
// began. Use Channel.Settings and Settings.Equal to decide whether to
// replace.
func (s *Service) Replace(ctx context.Context, c *Channel) error {
	st, err := s.BeginReplace(c)
	if err != nil {
		return err
	}
	return st.Wait(ctx)
}

// BeginReplace is Replace without the wait: c is in the set when it
// returns (Channel returns it), and the Stopping it returns tells when
// the old channel has stopped. Calls for one name take effect in call
// order: the latest channel given is the one that runs.
func (s *Service) BeginReplace(c *Channel) (*Stopping, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, fmt.Errorf("sender: replace channel %q: %w", c.Name(), ErrServiceStopped)
	}
	old := s.current[c.Name()]
	if old == nil {
		return nil, fmt.Errorf("sender: replace channel %q: %w", c.Name(), ErrUnknownChannel)
	}
	if !c.given.CompareAndSwap(false, true) {
		return nil, fmt.Errorf("sender: channel %q was given to a Service before: build a new Channel", c.Name())
	}
	s.retire(old)
	s.put(c)
	return &Stopping{in: old}, nil
}

// BeginShutdown marks the start of the process's shutdown: from now on no
// channel starts (one waiting for the drain of the channel it replaces
// never runs), and Add and Replace fail with ErrServiceStopped. Channels
// running, or stopping after Remove or Replace, go on until Run's ctx
// ends or their drain does. Run's ctx ending implies it.
func (s *Service) BeginShutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
}

// Stopping is a channel that has left the set (BeginRemove, BeginReplace)
// and is stopping with the drain of a shutdown.
type Stopping struct{ in *instance }

// Done is closed once the channel has stopped.
func (st *Stopping) Done() <-chan struct{} { return st.in.done }

// Wait waits for the channel to stop. If ctx ends first, it ends the
// drain at once (Channel.EndDrain) and returns ctx.Err() once the channel
// has stopped (promptly).
func (st *Stopping) Wait(ctx context.Context) error { return waitStopped(ctx, st.in) }

// put adds an instance of c to the set, after the latest one of its name,
// and starts it if Run runs. s.mu is held.
func (s *Service) put(c *Channel) {
	in := &instance{ch: c, quit: make(chan struct{}), done: make(chan struct{})}
	prev := s.last[c.Name()]
	s.current[c.Name()] = in
	s.last[c.Name()] = in
	s.live[in] = struct{}{}
	if s.runCtx != nil {
		s.start(in, prev)
	}
}

// retire stops in, which has left the set. Before Run it never ran, so it
// has stopped at once. s.mu is held.
func (s *Service) retire(in *instance) {
	in.stop()
	if s.runCtx == nil {
		s.forget(in)
		close(in.done)
	}
}

// forget drops a stopped instance from the books; after a Remove, the
// link gauges of its name go too unless a channel of that name was added
// since. s.mu is held.
func (s *Service) forget(in *instance) {
	delete(s.live, in)
	if s.last[in.ch.Name()] == in {
		delete(s.last, in.ch.Name())
	}
	if in.removed && s.last[in.ch.Name()] == nil {
		in.ch.dropLinkGauges()
	}
}

// start runs in on a goroutine the Service owns: once prev (the instance
// of the same name before it, or nil) has stopped, it runs the channel
// until Run's ctx ends or in is stopped — unless the shutdown began
// meanwhile. s.mu is held and Run has started.
func (s *Service) start(in, prev *instance) {
	s.wg.Go(func() {
		defer func() {
			s.mu.Lock()
			s.forget(in)
			s.mu.Unlock()
			close(in.done)
		}()
		if prev != nil {
			<-prev.done // never two channels of one name sending at once
			prev = nil  // not kept alive while in runs
		}
		s.mu.Lock()
		shutdown := s.stopped
		s.mu.Unlock()
		if shutdown { // no channel starts once the shutdown began
			return
		}
		select {
		case <-in.quit: // removed or replaced before it started
			return
		case <-s.runCtx.Done():
			return
		default:
		}
		ctx, cancel := context.WithCancel(s.runCtx)
		defer cancel()
		go func() { // ends with ctx, which Run's end or quit cancels
			select {
			case <-in.quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		_ = in.ch.Run(ctx)
	})
}

// waitStopped waits for in to stop; if ctx ends first it ends in's drain
// and still waits (promptly).
func waitStopped(ctx context.Context, in *instance) error {
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
	}
	in.ch.EndDrain()
	<-in.done
	return ctx.Err()
}

// EndDrain ends the drain of every channel at once (see Channel.EndDrain):
// those of the set and those still stopping after Remove or Replace.
func (s *Service) EndDrain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for in := range s.live {
		in.ch.EndDrain()
	}
}

// Channel returns the channel called name in the set, or nil. During a
// Replace it is the new channel, which starts once the old one stopped.
func (s *Service) Channel(name string) *Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.current[name]; in != nil {
		return in.ch
	}
	return nil
}

// Channels returns the names of the channels in the set, sorted.
func (s *Service) Channels() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.current))
}

// ChannelsReady maps each channel of the set to whether a link of it is
// logged in.
func (s *Service) ChannelsReady() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]bool, len(s.current))
	for name, in := range s.current {
		out[name] = in.ch.Ready()
	}
	return out
}

// ChannelsDetail maps the channels of the set that are not ready for a
// known reason to it: "no_link_slot" when the channel's cluster link limit
// (max_links) is held by other replicas, so this one sends nothing on it.
func (s *Service) ChannelsDetail() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for name, in := range s.current {
		if in.ch.NoLinkSlot() {
			out[name] = DetailNoLinkSlot
		}
	}
	return out
}

// DetailNoLinkSlot is the ChannelsDetail of a channel whose cluster link
// slots are all held by other replicas (or above this one's share).
const DetailNoLinkSlot = "no_link_slot"

// Cancel sends CMPP_CANCEL for msgIDs on channel.
func (s *Service) Cancel(ctx context.Context, channel string, msgIDs []string) ([]CancelResult, error) {
	c := s.Channel(channel)
	if c == nil {
		return nil, fmt.Errorf("sender: channel %q: %w", channel, ErrUnknownChannel)
	}
	return c.Cancel(ctx, msgIDs)
}
