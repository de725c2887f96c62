package cmpp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Dial connects to cfg.Addr, logs in with CONNECT and returns a ready
// link. The TCP dial and the CONNECT_RESP wait are bounded by
// cfg.ConnectTimeout and ctx. A CONNECT_RESP with Status≠0 gives a
// *ConnectError (errors.Is matches ErrUnknownAccount, ErrAuth,
// ErrVersionTooHigh) and the connection is closed. ctx bounds only the
// dial and the login; the link outlives it (end it with Close). The
// CONNECT carries Sequence_Id 1 and the link's counter continues from
// there. AuthenticatorISMG is
// checked when Status is 0, but a mismatch only logs a warning: several
// deployed gateways compute it differently (§3.2, §11.10).
func Dial(ctx context.Context, cfg LinkConfig) (*Link, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With().Str("sp_id", cfg.SPID).Str("addr", cfg.Addr).Logger()

	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	conn, err := cfg.Dialer.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("cmpp: dial %s: %w", cfg.Addr, err)
	}
	// The login exchange is bounded by the deadline, and ctx cancellation
	// interrupts it by moving the deadline into the past.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })

	fr := NewFrameReader(conn, MaxFrameLen)
	v, seq, err := login(conn, fr, cfg)
	if !stop() || ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		_ = conn.Close()
		log.Warn().Err(err).Msg("cmpp login failed")
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	l := newLink(cfg, conn, fr, v, seq, log.With().Stringer("version", v).Logger())
	l.log.Info().Stringer("asked_version", cfg.Version).Msg("cmpp link up")
	return l, nil
}

// login sends CONNECT with Sequence_Id 1 and reads the CONNECT_RESP. It
// returns the negotiated version and the last Sequence_Id used.
func login(w io.Writer, fr *FrameReader, cfg LinkConfig) (Version, uint32, error) {
	const seq = 1
	ts := Timestamp(cfg.Now())
	req := &Connect{
		SourceAddr:          cfg.SPID,
		AuthenticatorSource: AuthenticatorSource(cfg.SPID, cfg.Secret, ts),
		Version:             cfg.Version,
		Timestamp:           ts,
	}
	frame, err := Append(make([]byte, 0, HeaderLen+connectBodyLen), cfg.Version, seq, req)
	if err != nil {
		return 0, 0, fmt.Errorf("cmpp: encode CONNECT: %w", err)
	}
	if _, err := w.Write(frame); err != nil {
		return 0, 0, fmt.Errorf("cmpp: send CONNECT: %w", err)
	}
	frame, err = fr.ReadFrame()
	if err != nil {
		return 0, 0, fmt.Errorf("cmpp: read CONNECT_RESP: %w", err)
	}
	h, pdu, err := Decode(frame, cfg.Version)
	if err != nil {
		return 0, 0, fmt.Errorf("cmpp: decode CONNECT_RESP: %w", err)
	}
	resp, ok := pdu.(*ConnectResp)
	if !ok {
		return 0, 0, fmt.Errorf("cmpp: got %s instead of CONNECT_RESP", h.CommandID)
	}
	if h.SequenceID != seq {
		return 0, 0, fmt.Errorf("cmpp: CONNECT_RESP Sequence_Id %d, want %d", h.SequenceID, seq)
	}
	if resp.Status != ConnectOK {
		return 0, 0, &ConnectError{Status: resp.Status}
	}
	// The body length (18 or 21) tells the layout the ISMG speaks (§3.2).
	layout30 := h.TotalLength == HeaderLen+21
	v := negotiatedVersion(cfg.Version, layout30, resp.Version)
	if want := AuthenticatorISMG(resp.Status, v, req.AuthenticatorSource, cfg.Secret); want != resp.AuthenticatorISMG {
		cfg.Logger.Warn().Str("sp_id", cfg.SPID).Stringer("version", v).
			Msg("cmpp CONNECT_RESP AuthenticatorISMG mismatch (ignored)")
	}
	return v, seq, nil
}

// negotiatedVersion picks the version of the link from the CONNECT_RESP
// layout: the one asked for when its layout matches, else the version the
// ISMG announced when that matches the layout, else V20 or V30.
func negotiatedVersion(asked Version, layout30 bool, announced Version) Version {
	switch {
	case asked.Is30() == layout30:
		return asked
	case layout30 && announced == V30, !layout30 && (announced == V20 || announced == V21):
		return announced
	case layout30:
		return V30
	default:
		return V20
	}
}
