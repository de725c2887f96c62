package cmppserver

import (
	"context"
	"crypto/subtle"
	"net"
	"net/netip"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/registry"
)

// loginStoreTimeout bounds the store calls of one login.
const loginStoreTimeout = 5 * time.Second

// loginResult is the outcome of checking a CONNECT.
type loginResult struct {
	status uint32
	// respVersion decides the CONNECT_RESP layout and its Version field.
	respVersion cmpp.Version
	outcome     string
	tenant      *registry.Tenant
	detail      string
}

// login reads the CONNECT (within LoginTimeout) and answers it. On
// success the link is registered, its writer runs and the backend knows
// it (linkUp); otherwise the CONNECT_RESP (if any) is written and false
// returned: the caller closes the connection.
func (l *link) login(fr *cmpp.FrameReader) bool {
	s := l.srv
	_ = l.conn.SetReadDeadline(time.Now().Add(s.cfg.LoginTimeout.D()))
	frame, err := fr.ReadFrame()
	if err != nil {
		l.log.Info().Err(err).Msg("cmpp login: no CONNECT")
		return false
	}
	h, pdu, err := cmpp.Decode(frame, cmpp.V30)
	if err != nil {
		l.log.Warn().Err(err).Msg("cmpp login: malformed first PDU; closing")
		return false
	}
	c, ok := pdu.(*cmpp.Connect)
	if !ok {
		l.log.Warn().Stringer("command", h.CommandID).Msg("cmpp login: first PDU is not CONNECT; closing")
		return false
	}
	_ = l.conn.SetReadDeadline(time.Time{})
	l.remote = remoteAddrPort(l.conn.RemoteAddr())
	ctx, cancel := context.WithTimeout(context.Background(), loginStoreTimeout)
	defer cancel()

	r := l.checkLogin(ctx, c)
	if r.status == cmpp.ConnectOK {
		l.account, l.tenant, l.version = c.SourceAddr, r.tenant.Name, c.Version
		l.secret = r.tenant.CMPP.Secret
		l.log = l.log.With().Str("account", l.account).Str("tenant", l.tenant).Logger()
		ok, err := s.deps.Store.TakeLinkSlot(ctx, slotScope(l.account), l.id, r.tenant.CMPP.MaxLinks, s.cfg.LinkLease.D())
		switch {
		case err != nil:
			r = loginResult{status: cmpp.ConnectOtherError, respVersion: c.Version, outcome: loginMaxLinks, detail: "link slot: " + err.Error()}
		case !ok:
			r = loginResult{status: cmpp.ConnectOtherError, respVersion: c.Version, outcome: loginMaxLinks}
		case !s.front.addLink(l):
			_ = s.deps.Store.ReleaseLinkSlot(ctx, slotScope(l.account), l.id)
			r = loginResult{status: cmpp.ConnectOtherError, respVersion: c.Version, outcome: loginMaxLinks, detail: "server shutting down"}
		default:
			// The account may have changed since checkLogin, and the
			// registry watch may have looked before the link was listed.
			if reason := s.stale(l, s.deps.Registry.Snapshot()); reason != "" {
				s.front.removeLink(l)
				_ = s.deps.Store.ReleaseLinkSlot(ctx, slotScope(l.account), l.id)
				r = loginResult{status: cmpp.ConnectOtherError, respVersion: c.Version, outcome: loginDisabled, detail: reason}
			}
		}
	}
	resp := &cmpp.ConnectResp{Status: r.status, Version: r.respVersion}
	if r.status == cmpp.ConnectOK {
		resp.Version = accountVersion(r.tenant.CMPP)
		resp.AuthenticatorISMG = cmpp.AuthenticatorISMG(cmpp.ConnectOK, c.Version, c.AuthenticatorSource, l.secret)
	}
	s.front.logins.WithLabelValues(r.outcome).Inc()
	ev := l.log.Info()
	if r.status != cmpp.ConnectOK {
		ev = l.log.Warn().Str("account", c.SourceAddr)
		if r.tenant != nil {
			ev = ev.Str("tenant", r.tenant.Name)
		}
	}
	if r.detail != "" {
		ev = ev.Str("detail", r.detail)
	}
	ev.Stringer("version", c.Version).Uint32("status", r.status).
		Str("outcome", r.outcome).Msg("cmpp login")

	frameOut, err := cmpp.Append(nil, r.respVersion, h.SequenceID, resp)
	if err != nil { // cannot happen for a CONNECT_RESP; refuse the login
		l.log.Error().Err(err).Msg("cmpp login: cannot encode CONNECT_RESP")
		return false
	}
	if r.status != cmpp.ConnectOK {
		_ = l.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, _ = l.conn.Write(frameOut)
		return false
	}
	l.mu.Lock()
	l.out = append(l.out, frameOut...)
	l.mu.Unlock()
	go l.writeLoop(writerTick(&s.cfg))
	l.kick()
	s.linkUp(l)
	return true
}

// checkLogin decides the Status of c (everything but the link slot).
func (l *link) checkLogin(ctx context.Context, c *cmpp.Connect) loginResult {
	s := l.srv
	// Before the account is known, answer in the layout the client asked
	// for (3.0 for anything above).
	r := loginResult{respVersion: min(max(c.Version, cmpp.V20), cmpp.V30)}
	ip := l.remote.Addr().String()
	blocked, retry, err := s.deps.Store.LoginBlocked(ctx, ip, s.cfg.LoginFailures, s.cfg.LoginFailureWindow.D())
	if err != nil {
		r.status, r.outcome, r.detail = cmpp.ConnectOtherError, loginBlocked, "login throttle: "+err.Error()
		return r
	}
	if blocked {
		r.status, r.outcome, r.detail = cmpp.ConnectOtherError, loginBlocked, "retry after "+retry.Round(time.Second).String()
		return r
	}
	failed := func(status uint32, outcome string) loginResult {
		r.status, r.outcome = status, outcome
		if err := s.deps.Store.LoginFailed(ctx, ip, s.cfg.LoginFailureWindow.D()); err != nil {
			r.detail = "counting the failure: " + err.Error()
		}
		return r
	}
	t, ok := lookupAccount(s.deps.Registry.Snapshot(), c.SourceAddr)
	if !ok {
		return failed(cmpp.ConnectBadSourceAddr, loginBadAccount)
	}
	r.tenant = t
	acc := t.CMPP
	if !authOK(c, acc.Secret) {
		return failed(cmpp.ConnectAuthFailed, loginBadAuth)
	}
	allowed := accountVersion(acc)
	if c.Version > allowed && !(allowed == cmpp.V20 && c.Version == cmpp.V21) { // 2.1 uses the 2.0 layouts
		// Answer in the layout of, and announce, the highest version the
		// account may use: the client can retry with it.
		r.status, r.outcome, r.respVersion = cmpp.ConnectVersionTooHigh, loginVersion, allowed
		return r
	}
	if c.Version != cmpp.V20 && c.Version != cmpp.V21 && c.Version != cmpp.V30 {
		r.status, r.outcome = cmpp.ConnectBadStructure, loginVersion
		return r
	}
	r.respVersion = c.Version
	if !acc.AllowsAddr(l.remote.Addr()) {
		r.status, r.outcome = cmpp.ConnectOtherError, loginAddress
		return r
	}
	if t.Disabled {
		r.status, r.outcome = cmpp.ConnectOtherError, loginDisabled
		return r
	}
	r.status, r.outcome = cmpp.ConnectOK, loginOK
	return r
}

// authOK checks AuthenticatorSource in both Source_Addr forms (§3.1).
func authOK(c *cmpp.Connect, secret string) bool {
	a := cmpp.AuthenticatorSource(c.SourceAddr, secret, c.Timestamp)
	b := cmpp.AuthenticatorSourcePadded(c.SourceAddr, secret, c.Timestamp)
	return subtle.ConstantTimeCompare(c.AuthenticatorSource[:], a[:]) == 1 ||
		subtle.ConstantTimeCompare(c.AuthenticatorSource[:], b[:]) == 1
}

// accountVersion is the highest version acc may use.
func accountVersion(acc *registry.CMPPAccess) cmpp.Version {
	if acc.Version == "2.0" {
		return cmpp.V20
	}
	return cmpp.V30
}

// remoteAddrPort converts a connection's remote address.
func remoteAddrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
