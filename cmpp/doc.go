// Package cmpp implements the China Mobile Peer to Peer protocol (CMPP 2.0
// and 3.0) as an SP meets it: a bounds-checked wire codec with one struct per
// PDU, authenticator and Msg_Id helpers, and the SP client link (one read
// loop and one writer per TCP connection, a sliding window, ACTIVE_TEST
// keep-alive and typed errors).
//
// Byte layouts follow PROTOCOL.md (kept with the tests in testdata/). All
// integers are big-endian. Responses whose width differs between versions
// (CONNECT_RESP, SUBMIT_RESP, DELIVER_RESP, CANCEL_RESP) are decoded by their
// length, not by the version that was negotiated.
package cmpp
