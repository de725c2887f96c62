package ismgsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Run serves a simulator for `smsbridge simulator`: the CMPP listener of
// cfg and, when adminAddr (or else cfg.AdminAddr) is not empty, the admin
// HTTP API. It blocks until ctx is done, then shuts both down and returns
// nil; it returns early with an error if either cannot start or the admin
// server fails.
func Run(ctx context.Context, cfg Config, adminAddr string) error {
	srv, err := NewServer(cfg)
	if err != nil {
		return err
	}
	if adminAddr == "" {
		adminAddr = cfg.AdminAddr
	}
	var hs *http.Server
	serveErr := make(chan error, 1)
	if adminAddr != "" {
		ln, err := net.Listen("tcp", adminAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("ismgsim: admin listen %s: %w", adminAddr, err)
		}
		hs = &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { serveErr <- hs.Serve(ln) }()
		srv.log.Info().Str("admin_addr", ln.Addr().String()).Msg("ISMG simulator admin API listening")
	}
	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("ismgsim: admin API: %w", err)
	}
	if hs != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.log.Warn().Err(err).Msg("admin API shutdown")
		}
		cancel()
	}
	if err := srv.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}
