package store

import "time"

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
