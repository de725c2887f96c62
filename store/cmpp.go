package store

import (
	"context"
	"errors"
	"time"
)

// errTODO marks the scaffold of issue #11; every use is replaced before it lands.
var errTODO = errors.New("store: not implemented yet")

// CMPPOrigin marks a request that came in over a customer's CMPP link
// (cmppserver): one customer SUBMIT is one request of one segment.
type CMPPOrigin struct {
	// Account is the CMPP account (login Source_Addr) whose reports these are.
	Account string
	// MsgID is the SUBMIT_RESP Msg_Id smsbridge assigned, 22-digit text
	// (cmpp.MsgID.String()); recipient k (1-based) is reported with
	// MsgID.AddSequence(k-1).
	MsgID string
	// SrcID is the customer's Src_Id: the Dest_Id of its report DELIVERs.
	SrcID string
	// ServiceID is the customer's Service_Id, echoed in report DELIVERs.
	ServiceID string
	// Report is Registered_Delivery 1: one report per recipient is queued
	// for the account when the recipient is final.
	Report bool
}

// CMPPDeliver is one DELIVER waiting in an account's queue: a status
// report of a CMPP-submitted segment, or an MO message.
type CMPPDeliver struct {
	// ID is unique among the account's entries in Channel.
	ID string
	// Channel is where the entry lives (set by LeaseCMPPDelivers).
	Channel string
	// Report: true for a status report (Registered_Delivery 1), false for MO.
	Report bool
	// MsgID (report): the Msg_Id of the reported segment, 22-digit text.
	MsgID string
	// Stat (report): the 7-character Stat (see CMPPStat).
	Stat string
	// SubmitTime, DoneTime (report): Submit_time and Done_time.
	SubmitTime, DoneTime time.Time
	// Terminal: report: the recipient (Dest_terminal_Id and the DELIVER's
	// Src_terminal_Id); MO: the sender's number (Src_terminal_Id).
	Terminal string
	// DestID is the DELIVER's Dest_Id: report: the customer's Src_Id;
	// MO: the account's service code plus extension.
	DestID string
	// ServiceID is the DELIVER's Service_Id.
	ServiceID string
	// MO fields: Msg_Fmt, TP_pid, TP_udhi, Msg_Content (UDH included),
	// LinkID.
	MsgFmt, TPPID, TPUDHI uint8
	Content               []byte
	LinkID                string
	// EnqueuedAt is when the entry was queued.
	EnqueuedAt time.Time
}

// PushCMPPMO queues an MO DELIVER for account in channel, unless the
// operator's DELIVER deliverMsgID was already stored (dup true).
func (s *Store) PushCMPPMO(ctx context.Context, channel, account, deliverMsgID string, mo CMPPDeliver) (dup bool, err error) {
	return false, errTODO
}

// LeaseCMPPDelivers takes up to max entries of account in channel for
// owner for lease (oldest first), after returning expired leases to the
// queue and dropping entries older than retention (expired counts them).
func (s *Store) LeaseCMPPDelivers(ctx context.Context, channel, account, owner string, max int, lease, retention time.Duration) (ds []CMPPDeliver, expired int, err error) {
	return nil, 0, errTODO
}

// AckCMPPDelivers removes entries answered by DELIVER_RESP.
func (s *Store) AckCMPPDelivers(ctx context.Context, channel, account string, ids []string) error {
	return errTODO
}

// ReleaseCMPPDelivers returns leased entries to the queue at once (their
// link is gone or they were resent N times unanswered).
func (s *Store) ReleaseCMPPDelivers(ctx context.Context, channel, account string, ids []string) error {
	return errTODO
}

// CMPPWaiting counts account's entries in channel: ready and leased.
func (s *Store) CMPPWaiting(ctx context.Context, channel, account string) (ready, leased int64, err error) {
	return 0, 0, errTODO
}

// ReserveMsgSeq reserves n consecutive Msg_Id sequence numbers of the
// second stamp (MMDDHHMMSS) for the whole cluster and returns the first;
// ErrSeqExhausted when the second's 65536 are used up.
func (s *Store) ReserveMsgSeq(ctx context.Context, stamp string, n int) (first int, err error) {
	return 0, errTODO
}

// ErrSeqExhausted: the second's Msg_Id sequence numbers are all taken.
var ErrSeqExhausted = errors.New("store: Msg_Id sequence of this second exhausted")

// TakeLinkSlot takes a slot of scope (e.g. "cmpp:910001") for link id,
// leased for ttl, if fewer than max live slots are held cluster-wide.
func (s *Store) TakeLinkSlot(ctx context.Context, scope, id string, max int, ttl time.Duration) (ok bool, err error) {
	return false, errTODO
}

// RenewLinkSlots extends the leases of ids in scope; lost lists those
// that had expired (their links must close).
func (s *Store) RenewLinkSlots(ctx context.Context, scope string, ids []string, ttl time.Duration) (lost []string, err error) {
	return nil, errTODO
}

// ReleaseLinkSlot frees the slot of link id.
func (s *Store) ReleaseLinkSlot(ctx context.Context, scope, id string) error { return errTODO }

// LoginBlocked reports whether addr has failed max logins within window
// (then refused until the window of its failures ends: retryAfter).
func (s *Store) LoginBlocked(ctx context.Context, addr string, max int, window time.Duration) (blocked bool, retryAfter time.Duration, err error) {
	return false, 0, errTODO
}

// LoginFailed counts a failed login from addr within window.
func (s *Store) LoginFailed(ctx context.Context, addr string, window time.Duration) error {
	return errTODO
}

// AllowCMPPSubmits takes up to n SUBMITs of account from its perSec rate
// (GCRA shared by replicas; perSec 0 = unlimited) and returns how many
// pass.
func (s *Store) AllowCMPPSubmits(ctx context.Context, account string, perSec, n int) (allowed int, err error) {
	return 0, errTODO
}

// CreateRequests stores several requests in one round trip per slot
// (group commit); errs[i] is CreateRequest's error for reqs[i].
func (s *Store) CreateRequests(ctx context.Context, reqs []NewRequest) (errs []error) {
	errs = make([]error, len(reqs))
	for i := range reqs {
		errs[i] = s.CreateRequest(ctx, reqs[i])
	}
	return errs
}
