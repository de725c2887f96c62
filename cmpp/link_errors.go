package cmpp

import (
	"errors"
	"strconv"
)

// Errors of the SP client link. Test for them with errors.Is: the errors
// the link returns wrap them, often together with a cause.
var (
	// ErrLinkClosed means the link is down. Every call pending when the link
	// goes down, and every later call, fails with an error wrapping it (and
	// the cause: a read or write error, ErrPeerTerminated,
	// ErrHeartbeatTimeout, a malformed PDU, or ErrClosedByUser).
	ErrLinkClosed = errors.New("cmpp: link closed")
	// ErrLinkClosing means Close has begun: the link answers the requests
	// already in flight but refuses new ones. Errors wrapping it also wrap
	// ErrLinkClosed, so a caller that only checks ErrLinkClosed moves on to
	// another link.
	ErrLinkClosing = errors.New("cmpp: link closing")
	// ErrResponseTimeout means a request got no response after
	// Transmissions sends, each waiting ResponseTimeout. The ISMG may still
	// have accepted one of the copies.
	ErrResponseTimeout = errors.New("cmpp: no response")
	// ErrHeartbeatTimeout is the cause of a link declared dead after
	// Transmissions consecutive unanswered ACTIVE_TESTs.
	ErrHeartbeatTimeout = errors.New("cmpp: ACTIVE_TEST not answered")
	// ErrPeerTerminated is the cause of a link the ISMG ended with
	// TERMINATE.
	ErrPeerTerminated = errors.New("cmpp: TERMINATE from peer")
	// ErrClosedByUser is the cause of a link ended by Link.Close.
	ErrClosedByUser = errors.New("cmpp: closed by Close")
	// ErrUnknownAccount matches a *ConnectError with Status 2 (illegal
	// source address: unknown SP_Id).
	ErrUnknownAccount = errors.New("cmpp: unknown account")
	// ErrAuth matches a *ConnectError with Status 3 (authentication error:
	// wrong secret).
	ErrAuth = errors.New("cmpp: authentication failed")
	// ErrVersionTooHigh matches a *ConnectError with Status 4 (the ISMG does
	// not support the version asked for).
	ErrVersionTooHigh = errors.New("cmpp: version too high")
)

// ConnectError is a CONNECT_RESP with a non-zero Status: the ISMG refused
// the login. errors.Is matches ErrUnknownAccount (2), ErrAuth (3) and
// ErrVersionTooHigh (4).
type ConnectError struct {
	Status uint32 // CONNECT_RESP Status (§3.2)
}

// Error returns e.g. "cmpp: CONNECT refused: authentication error (status 3)".
func (e *ConnectError) Error() string {
	return "cmpp: CONNECT refused: " + ConnectStatusText(e.Status) +
		" (status " + strconv.FormatUint(uint64(e.Status), 10) + ")"
}

// Is reports whether target is the sentinel for e's Status.
func (e *ConnectError) Is(target error) bool {
	switch e.Status {
	case ConnectBadSourceAddr:
		return target == ErrUnknownAccount
	case ConnectAuthFailed:
		return target == ErrAuth
	case ConnectVersionTooHigh:
		return target == ErrVersionTooHigh
	}
	return false
}

// ResultError is a response with a non-zero result: SUBMIT_RESP Result or
// CANCEL_RESP Success_Id. The call returns it together with the decoded
// response, so the caller still sees the Msg_Id.
type ResultError struct {
	Command CommandID // the response's Command_Id, e.g. CmdSubmitResp
	Result  uint32    // its Result / Success_Id
}

// Error returns e.g. "cmpp: SUBMIT_RESP result 8: flow control error".
func (e *ResultError) Error() string {
	text := "failed"
	if e.Command == CmdSubmitResp {
		text = SubmitResultText(e.Result)
	}
	return "cmpp: " + e.Command.String() + " result " +
		strconv.FormatUint(uint64(e.Result), 10) + ": " + text
}

// Retryable reports whether resending later may succeed: true only for
// SUBMIT_RESP Result 8 (flow control, §9.3). Other results are final.
func (e *ResultError) Retryable() bool {
	return e.Command == CmdSubmitResp && e.Result == ResultFlowControl
}

// linkError wraps ErrLinkClosed (or ErrLinkClosing) together with a
// cause, so errors.Is matches both.
type linkError struct {
	kind  error // ErrLinkClosed or ErrLinkClosing
	cause error // may be nil
}

func (e *linkError) Error() string {
	if e.cause == nil {
		return e.kind.Error()
	}
	return e.kind.Error() + ": " + e.cause.Error()
}

func (e *linkError) Unwrap() []error {
	errs := []error{e.kind}
	if e.kind != ErrLinkClosed {
		errs = append(errs, ErrLinkClosed)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// errClosing is returned to requests made after Close has begun.
var errClosing error = &linkError{kind: ErrLinkClosing}
