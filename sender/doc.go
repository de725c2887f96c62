// Package sender drains the Redis queue of each channel (one ISMG account)
// through a pool of CMPP links and records every outcome.
//
// Per channel, one leaser takes batches of jobs from the store (leases that
// a heartbeat extends), holds them to the channel's send limit — a GCRA
// in Redis (store.FlowTake), so it holds across every replica sharing the
// Redis, at the smaller of the contracted rate and the adaptive flow
// control rate: Result 8 cuts it (to the rate the ISMG still accepted,
// then by half, at most once per 100 ms, down to 1/s), accepted SUBMITs
// grow it back (doubling up to the rate accepted before the storm, then by
// a tenth of it) until the throttle is lifted — and hands them to the
// links. Each link has as many workers as its
// window; a worker sends one SUBMIT at a time, so the link's window is the
// only bound on what is in flight. Outcomes are batched back into the store
// (one script call per batch): Msg_Id mappings for Result 0, delayed
// retries for Result 8 (exponential back-off, capped; a segment fails
// "flow_control" only once a storm — Result 8 with no accepted SUBMIT on
// the channel — has lasted FlowControlTimeout) and for a lost link,
// final failures for other Results, and 'unknown' after N transmissions
// with no answer. Recovering the expired leases of crashed processes and
// ending segments past the report wait is not the sender's work: the
// maintainer (internal/maintain) does it, once per channel per process.
//
// With Deps.Health (internal/failover), a channel failed over leases no
// new job (jobs in hand are still sent); a SUBMIT answered with one of
// the channel's problem Results is scheduled again (reason
// channel_problem, the link-loss back-off and cap) instead of failing,
// since the ISMG refused it for a reason of the channel, not of the
// number; and every outcome and matched report is counted in memory for
// the failover rules.
//
// Status reports and MO messages arrive as DELIVERs on any link; the
// handler stores them (batched too) before the link sends DELIVER_RESP, so
// a report is acknowledged only once it is durable. While a channel drains
// (shutdown, Service.Remove or Replace) its links stay open until their
// SUBMITs are answered, and DELIVERs they receive meanwhile are stored and
// acknowledged as usual: each link answers those in hand before its
// TERMINATE. Those the links' close cuts off (at the end of the drain, or
// arriving after TERMINATE) are left to the ISMG's resend and counted in
// one log line as the channel stops.
//
// With Settings.MaxLinks (channels[].max_links) the account's logged-in
// links are bounded across every replica: a link holds a slot from Redis
// (store.TakeSharedSlot) from before it dials until after TERMINATE; one
// renewal per channel every SlotLease/3 keeps the replica live and its
// slots leased, and closes links whose lease was lost or that are above the
// replica's fair share (linkslots.go). A replica without a slot leases
// nothing for the channel.
//
// Delivery is at least once: a SUBMIT whose response was lost with its
// link, or whose outcome was not stored before a crash, is sent again.
package sender
