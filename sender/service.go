package sender

import (
	"context"
	"fmt"
	"sync"
)

// Service runs every channel of the process.
type Service struct {
	order  []*Channel
	byName map[string]*Channel
}

// NewService groups channels; names must be unique.
func NewService(channels ...*Channel) (*Service, error) {
	s := &Service{byName: map[string]*Channel{}}
	for _, c := range channels {
		if _, dup := s.byName[c.Name()]; dup {
			return nil, fmt.Errorf("sender: duplicate channel %q", c.Name())
		}
		s.byName[c.Name()] = c
		s.order = append(s.order, c)
	}
	return s, nil
}

// Run runs every channel until ctx is cancelled and all have drained.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, c := range s.order {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(ctx) }()
	}
	wg.Wait()
	return nil
}

// EndDrain ends the drain of every channel at once (see Channel.EndDrain).
func (s *Service) EndDrain() {
	for _, c := range s.order {
		c.EndDrain()
	}
}

// Channel returns the channel called name, or nil.
func (s *Service) Channel(name string) *Channel { return s.byName[name] }

// ChannelsReady maps each channel to whether a link of it is logged in.
func (s *Service) ChannelsReady() map[string]bool {
	out := make(map[string]bool, len(s.order))
	for _, c := range s.order {
		out[c.Name()] = c.Ready()
	}
	return out
}

// Cancel sends CMPP_CANCEL for msgIDs on channel.
func (s *Service) Cancel(ctx context.Context, channel string, msgIDs []string) ([]CancelResult, error) {
	c := s.byName[channel]
	if c == nil {
		return nil, fmt.Errorf("sender: unknown channel %q", channel)
	}
	return c.Cancel(ctx, msgIDs)
}
