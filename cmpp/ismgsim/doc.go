// Package ismgsim is an ISMG simulator: the server side of CMPP 2.0/3.0 as
// an SP meets it (PROTOCOL.md §3–§9). It is used by this project's tests, by
// the demo mode and by `smsbridge simulator`.
//
// A Server listens at once (httptest style), accepts SP logins for the
// configured accounts, answers SUBMITs with real Msg_Ids, records every
// received segment, sends status reports after a delay through a scheduler,
// resends unacknowledged DELIVERs, keeps links alive with ACTIVE_TEST and can
// inject MO messages. Faults (dropped or delayed responses, forced Results,
// periodic link closes, reports before responses, a fixed Msg_Id, a silent
// peer) can be switched at run time, and an admin HTTP API (AdminHandler)
// exposes all of it as JSON.
//
// Each connection has exactly two goroutines owned by the Server: a read
// loop that decodes and handles PDUs, and a writer that flushes a batched
// output buffer and runs the link's timers (DELIVER resends, ACTIVE_TEST).
// No goroutine is started per PDU or per report.
//
// Behaviour choices where the specification is silent or ambiguous:
//
//   - Login: AuthenticatorSource is accepted in both the raw and the
//     zero-padded Source_Addr form (§3.1); stale timestamps are accepted.
//     Status 2 = unknown SP_Id, 3 = bad authenticator, 4 = version too high,
//     5 = too many links for the account (Account.MaxLinks), 1 = a version
//     below 2.0. The checks run in that order (2, 3, 4, 5). A CONNECT_RESP
//     with Status 4 uses the layout of the highest version the account
//     accepts (2.0 layout for a 2.x account, 3.0 layout otherwise) and
//     carries that version, so the SP learns which version to retry with.
//     Every other CONNECT_RESP uses the layout of the requested version.
//     After a failed login the connection is closed.
//   - Every PDU other than CONNECT before login closes the connection; so does
//     a second CONNECT, a frame that cannot be framed or decoded, or an
//     unknown Command_Id.
//   - SUBMIT checks, in order: Faults.ForceResult; Faults.ResultRatio
//     (a random share answered Faults.RatioResult); Dest_terminal_Id (every
//     number non-empty, digits with an optional leading '+', 3..21
//     characters; any non-empty value for pseudo numbers) else Result 13;
//     Src_Id prefix else Result 10; Msg_src, when not empty, must be the
//     SP_Id else Result 11 (an empty Msg_src is accepted); the per-account
//     token bucket (a group send takes one token per recipient) else
//     Result 8.
//   - One ReceivedSegment is recorded per SUBMIT per recipient, so each has
//     its own Msg_Id (recipient k gets the SUBMIT_RESP Msg_Id with k added
//     to its 16-bit sequence, §4.1). The record is a ring of the most recent
//     Config.MaxReceived entries.
//   - CANCEL succeeds (Success_Id 0) only for a Msg_Id this account was
//     given whose status report is still scheduled or queued and not yet
//     sent; the report is then never sent. Everything else gets 1.
//   - QUERY answers all-time totals of the account, whatever the Time and
//     Query_Code asked: MT_TLMsg = SUBMITs received, MT_Tlusr = recipients
//     accepted, MT_Scs = messages accepted, MT_WT = reports not yet
//     acknowledged, MT_FL = SUBMITs rejected or flow-controlled,
//     MO_Scs = MO DELIVERs acknowledged, MO_WT = MO DELIVERs not yet
//     acknowledged, MO_FL = MO DELIVERs dropped after N transmissions.
//   - DELIVERs (reports and MOs) go through a per-link window of 16
//     unacknowledged PDUs; an unacknowledged DELIVER is resent with the same
//     Sequence_Id after ResponseTimeout. DELIVERs still queued or
//     unacknowledged when a link goes down move to another logged-in link of
//     the account (with a new Sequence_Id), or are held until one logs in.
//     Transmissions counts every send of a DELIVER on any link; after that
//     many it is dropped (logged and counted), so a report the SP never
//     acknowledges cannot circulate forever.
//   - Msg_Ids carry a 16-bit sequence per server (§7): above 65536 Msg_Ids
//     in one second they repeat. DELIVERs take Msg_Ids from the same
//     sequence.
//   - Faults.ReportBeforeResp sends the report at once, before the
//     SUBMIT_RESP on the same link, when that link's DELIVER window has room;
//     otherwise the report is scheduled normally.
//   - Faults.FixedMsgID answers every SUBMIT with the same Msg_Id (a
//     broken ISMG, e.g. one answering 0): records, SUBMIT_RESPs and reports
//     all carry it, so reports of different segments cannot be told apart.
//   - Faults.Silent: frames read are discarded (not handled, not recorded),
//     no PDU is sent, timers pause; DELIVERs wait until Silent is cleared.
package ismgsim
