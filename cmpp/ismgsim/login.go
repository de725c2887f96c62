package ismgsim

import (
	"fmt"

	"github.com/smsbridge/smsbridge/cmpp"
)

// login handles the first frame of a connection, which must be a CONNECT
// (§3). It answers CONNECT_RESP; on success it attaches the link to its
// account and returns nil, otherwise it returns an error that ends the link
// (after the CONNECT_RESP is flushed, when one was sent).
func (l *link) login(frame []byte) error {
	h, p, err := cmpp.Decode(frame, cmpp.V30)
	if err != nil {
		return fmt.Errorf("malformed first PDU: %w", err)
	}
	c, ok := p.(*cmpp.Connect)
	if !ok {
		return fmt.Errorf("%s before login", h.CommandID)
	}
	status, respVersion, acct := l.checkLogin(c)
	resp := &cmpp.ConnectResp{Status: status, Version: respVersion}
	if status == cmpp.ConnectOK {
		sess := &session{
			acct:    acct,
			version: c.Version,
			log:     l.baseLog.With().Str("sp_id", acct.spID).Stringer("version", c.Version).Logger(),
		}
		// Publish the session before attaching: once attached, other
		// goroutines send DELIVERs in sess.version.
		l.sess.Store(sess)
		if ok, st := acct.attach(l); !ok {
			l.sess.Store(nil)
			resp.Status = st
		}
	}
	if resp.Status == cmpp.ConnectOK {
		resp.AuthenticatorISMG = cmpp.AuthenticatorISMG(cmpp.ConnectOK, c.Version, c.AuthenticatorSource, acct.cfg.Load().Secret)
	}
	ev := l.baseLog.Info()
	if resp.Status != cmpp.ConnectOK {
		ev = l.baseLog.Warn()
	}
	ev.Str("sp_id", c.SourceAddr).Stringer("version", c.Version).Uint32("timestamp", c.Timestamp).
		Uint32("status", resp.Status).Str("status_text", cmpp.ConnectStatusText(resp.Status)).Msg("CONNECT")
	if err := l.out.append(respVersion, h.SequenceID, resp, outAfterInput); err != nil {
		return fmt.Errorf("CONNECT_RESP: %w", err)
	}
	if resp.Status != cmpp.ConnectOK {
		return fmt.Errorf("%w: %w (status %d)", errGraceful, errLoginFailed, resp.Status)
	}
	l.setReady()
	return nil
}

// checkLogin decides the CONNECT_RESP Status and the version whose layout
// answers it. Status 2: unknown SP_Id; 3: bad AuthenticatorSource (either
// Source_Addr form accepted, §3.1); 4: version above the account's; 1: a
// version below 2.0. Status 5 (too many links) is decided by attach.
func (l *link) checkLogin(c *cmpp.Connect) (status uint32, respVersion cmpp.Version, acct *account) {
	respVersion = min(max(c.Version, cmpp.V20), cmpp.V30)
	acct = l.srv.account(c.SourceAddr)
	if acct == nil {
		return cmpp.ConnectBadSourceAddr, respVersion, nil
	}
	cfg := acct.cfg.Load()
	if c.AuthenticatorSource != cmpp.AuthenticatorSource(c.SourceAddr, cfg.Secret, c.Timestamp) &&
		c.AuthenticatorSource != cmpp.AuthenticatorSourcePadded(c.SourceAddr, cfg.Secret, c.Timestamp) {
		return cmpp.ConnectAuthFailed, respVersion, acct
	}
	if c.Version > cfg.maxVersion() {
		// Answer in the layout of, and announce, the highest version the
		// account accepts: the SP can retry with it.
		return cmpp.ConnectVersionTooHigh, cfg.maxVersion(), acct
	}
	if c.Version < cmpp.V20 {
		return cmpp.ConnectBadStructure, respVersion, acct
	}
	return cmpp.ConnectOK, c.Version, acct
}
