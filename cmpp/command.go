package cmpp

import "fmt"

// CommandID is the Command_Id header field. A response is its request's
// CommandID with the top bit set.
type CommandID uint32

// The Command_Id values an SP and an SP-facing ISMG exchange (PROTOCOL.md §2).
const (
	CmdConnect        CommandID = 0x00000001
	CmdTerminate      CommandID = 0x00000002
	CmdSubmit         CommandID = 0x00000004
	CmdDeliver        CommandID = 0x00000005
	CmdQuery          CommandID = 0x00000006
	CmdCancel         CommandID = 0x00000007
	CmdActiveTest     CommandID = 0x00000008
	CmdConnectResp    CommandID = 0x80000001
	CmdTerminateResp  CommandID = 0x80000002
	CmdSubmitResp     CommandID = 0x80000004
	CmdDeliverResp    CommandID = 0x80000005
	CmdQueryResp      CommandID = 0x80000006
	CmdCancelResp     CommandID = 0x80000007
	CmdActiveTestResp CommandID = 0x80000008
)

const respBit = 0x80000000

// IsResponse reports whether id is a response Command_Id.
func (id CommandID) IsResponse() bool { return id&respBit != 0 }

// Response returns the response Command_Id that answers request id.
func (id CommandID) Response() CommandID { return id | respBit }

var commandNames = map[CommandID]string{
	CmdConnect:        "CONNECT",
	CmdTerminate:      "TERMINATE",
	CmdSubmit:         "SUBMIT",
	CmdDeliver:        "DELIVER",
	CmdQuery:          "QUERY",
	CmdCancel:         "CANCEL",
	CmdActiveTest:     "ACTIVE_TEST",
	CmdConnectResp:    "CONNECT_RESP",
	CmdTerminateResp:  "TERMINATE_RESP",
	CmdSubmitResp:     "SUBMIT_RESP",
	CmdDeliverResp:    "DELIVER_RESP",
	CmdQueryResp:      "QUERY_RESP",
	CmdCancelResp:     "CANCEL_RESP",
	CmdActiveTestResp: "ACTIVE_TEST_RESP",
}

// String returns the PDU name without the CMPP_ prefix, e.g. "SUBMIT_RESP".
func (id CommandID) String() string {
	if n, ok := commandNames[id]; ok {
		return n
	}
	return fmt.Sprintf("COMMAND_0x%08X", uint32(id))
}

// Version is the protocol version byte: high nibble major, low nibble minor.
type Version uint8

// Protocol versions. V21 uses the 2.0 layouts.
const (
	V20 Version = 0x20
	V21 Version = 0x21
	V30 Version = 0x30
)

// Is30 reports whether v uses the 3.0 field layouts (major version 3 or more).
func (v Version) Is30() bool { return v >= 0x30 }

// String returns the version as "2.0", "3.0", ….
func (v Version) String() string { return fmt.Sprintf("%d.%d", v>>4, v&0x0f) }
