package cmpp

import (
	"crypto/md5"
	"strconv"
	"time"
)

// Timestamp returns t as the CONNECT Timestamp: the decimal number
// MMDDHHMMSS in t's location (e.g. 11-22 10:10:10 → 1122101010).
func Timestamp(t time.Time) uint32 {
	return uint32(t.Month())*100000000 + uint32(t.Day())*1000000 +
		uint32(t.Hour())*10000 + uint32(t.Minute())*100 + uint32(t.Second())
}

// appendTS10 appends ts as exactly 10 zero-padded ASCII digits (gocmpp #2:
// "%d" gives a wrong digest in January–September).
func appendTS10(b []byte, ts uint32) []byte {
	s := strconv.FormatUint(uint64(ts), 10)
	for i := len(s); i < 10; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// AuthenticatorSource returns MD5(sourceAddr ‖ 9×0x00 ‖ secret ‖ ts as 10
// digits) with sourceAddr hashed as given, unpadded: the form most
// implementations use (§3.1). For a 6-character SP_Id it equals
// AuthenticatorSourcePadded.
func AuthenticatorSource(sourceAddr, secret string, ts uint32) [16]byte {
	b := make([]byte, 0, len(sourceAddr)+9+len(secret)+10)
	b = append(b, sourceAddr...)
	b = append(b, make([]byte, 9)...)
	b = append(b, secret...)
	return md5.Sum(appendTS10(b, ts))
}

// AuthenticatorSourcePadded is AuthenticatorSource with sourceAddr
// zero-padded to the 6-byte wire field first (gocmpp after issue #13,
// node-cmpp-3). A simulator should accept either form.
func AuthenticatorSourcePadded(sourceAddr, secret string, ts uint32) [16]byte {
	for len(sourceAddr) < 6 {
		sourceAddr += "\x00"
	}
	return AuthenticatorSource(sourceAddr, secret, ts)
}

// AuthenticatorISMG returns MD5(Status ‖ AuthenticatorSource ‖ secret) with
// Status as on the wire: 1 byte in 2.0 (only its low byte, the value being
// ≤ 255 in any encodable 2.0 CONNECT_RESP), 4 bytes big-endian in 3.0 (§3.2).
func AuthenticatorISMG(status uint32, v Version, authSrc [16]byte, secret string) [16]byte {
	b := make([]byte, 0, 4+16+len(secret))
	if v.Is30() {
		b = appendU32(b, status)
	} else {
		b = append(b, byte(status))
	}
	b = append(b, authSrc[:]...)
	b = append(b, secret...)
	return md5.Sum(b)
}

// Connect Status codes (§3.2).
const (
	ConnectOK             = 0
	ConnectBadStructure   = 1
	ConnectBadSourceAddr  = 2
	ConnectAuthFailed     = 3
	ConnectVersionTooHigh = 4
	ConnectOtherError     = 5
)

var connectStatusTexts = [...]string{
	ConnectOK:             "success",
	ConnectBadStructure:   "message structure error",
	ConnectBadSourceAddr:  "illegal source address",
	ConnectAuthFailed:     "authentication error",
	ConnectVersionTooHigh: "version too high",
}

// ConnectStatusText describes a CONNECT_RESP Status (§3.2); 5 and above are
// "other error (N)".
func ConnectStatusText(status uint32) string {
	if status < uint32(len(connectStatusTexts)) {
		return connectStatusTexts[status]
	}
	return "other error (" + strconv.FormatUint(uint64(status), 10) + ")"
}

// SUBMIT_RESP Result codes (§4.2).
const (
	ResultOK              = 0
	ResultBadStructure    = 1
	ResultBadCommandID    = 2
	ResultDuplicateSeq    = 3
	ResultBadMsgLength    = 4
	ResultBadFeeCode      = 5
	ResultContentTooLong  = 6
	ResultBadServiceID    = 7
	ResultFlowControl     = 8
	ResultNotServedNumber = 9
	ResultBadSrcID        = 10
	ResultBadMsgSrc       = 11
	ResultBadFeeTerminal  = 12
	ResultBadDestTerminal = 13
)

var submitResultTexts = [...]string{
	ResultOK:              "success",
	ResultBadStructure:    "message structure error",
	ResultBadCommandID:    "Command_Id error",
	ResultDuplicateSeq:    "duplicate Sequence_Id",
	ResultBadMsgLength:    "message length error",
	ResultBadFeeCode:      "fee code error",
	ResultContentTooLong:  "content exceeds the maximum length",
	ResultBadServiceID:    "Service_Id error",
	ResultFlowControl:     "flow control error",
	ResultNotServedNumber: "gateway does not serve the charged number",
	ResultBadSrcID:        "Src_Id error",
	ResultBadMsgSrc:       "Msg_src error",
	ResultBadFeeTerminal:  "Fee_terminal_Id error",
	ResultBadDestTerminal: "Dest_terminal_Id error",
}

// SubmitResultText describes a SUBMIT_RESP Result (§4.2); unknown codes are
// "other error (N)".
func SubmitResultText(result uint32) string {
	if result < uint32(len(submitResultTexts)) {
		return submitResultTexts[result]
	}
	return "other error (" + strconv.FormatUint(uint64(result), 10) + ")"
}
