package gateway

import "context"

// runCMPP runs the CMPP server (when cmpp_server.addr is set) until ctx
// is done. done is closed once it has returned (at once when the server
// is off); errc receives its error when it stops on its own before ctx
// ends (its listener failed), which ends Run like an HTTP failure does.
func (s *Gateway) runCMPP(ctx context.Context) (done <-chan struct{}, errc <-chan error) {
	d, e := make(chan struct{}), make(chan error, 1)
	if s.cmpp == nil {
		close(d)
		return d, e
	}
	s.log.Info().Str("addr", s.CMPPAddr()).Msg("cmpp server listening")
	go func() {
		defer close(d)
		if err := s.cmpp.Run(ctx); err != nil && ctx.Err() == nil {
			e <- err
		}
	}()
	return d, e
}
