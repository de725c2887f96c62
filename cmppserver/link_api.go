package cmppserver

import (
	"net/netip"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
)

// link is one logged-in customer connection. The connection layer
// (conn*.go) implements it; the backend (submit, pump, control) uses only
// the fields and methods below (and must not touch linkConn).
type link struct {
	// id is unique across replicas: ReplicaID + "-" + a counter.
	id string
	// account is the CMPP account, tenant its tenant's name.
	account, tenant string
	// version is the negotiated protocol version.
	version cmpp.Version
	// remote is the client's address.
	remote netip.AddrPort
	// log carries link_id, account, tenant, remote.
	log zerolog.Logger

	linkConn
}

// respond queues the response p to the request with Sequence_Id seq on
// the link's writer. It never blocks on the network; it is a no-op once
// the link is closed.
func (l *link) respond(seq uint32, p cmpp.PDU) { l.queueResponse(seq, p) }

// deliver sends d (its MsgID set by the caller) in the link's DELIVER
// window. done is called exactly once: with the DELIVER_RESP Result, or
// with an error when the link closed or ReportResendMax resends (one per
// ReportResendAfter) went unanswered. It returns false, without calling
// done, when the window is full or the link is closing.
func (l *link) deliver(d *cmpp.Deliver, done func(result uint32, err error)) bool {
	return l.sendDeliver(d, done)
}

// free is the number of free DELIVER window slots.
func (l *link) free() int { return l.freeSlots() }

// closed is closed when the link is gone.
func (l *link) closed() <-chan struct{} { return l.done }

// terminate ends the link: TERMINATE, wait for TERMINATE_RESP up to
// terminateWait, then close. reason goes to the log. It does not block.
func (l *link) terminate(reason string) { l.startTerminate(reason) }
