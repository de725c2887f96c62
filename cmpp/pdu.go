package cmpp

// HeaderLen is the size of the message header (Total_Length, Command_Id,
// Sequence_Id).
const HeaderLen = 12

// MaxFrameLen is the default cap on Total_Length (PROTOCOL.md §1): larger than
// the largest PDU the spec allows (3490 bytes) and equal to the caps of the
// widely deployed implementations.
const MaxFrameLen = 4096

// Header is the 12-byte message header.
type Header struct {
	TotalLength uint32
	CommandID   CommandID
	SequenceID  uint32
}

// PDU is one CMPP message body. Each PDU type has exactly one encode/decode
// pair; the header is written by Append and read by Decode.
type PDU interface {
	// CommandID is the Command_Id this PDU is sent with.
	CommandID() CommandID
	// BodyLen is the encoded body length (header excluded) in version v.
	BodyLen(v Version) int
	// AppendBody appends the body encoded for version v to b. It returns
	// an error naming the field when a value does not fit; it never truncates.
	AppendBody(b []byte, v Version) ([]byte, error)
	// DecodeBody decodes a body (header excluded) sent in version v. The
	// decoded PDU does not alias body: frame buffers are reused.
	// Responses whose width differs between versions are decoded by
	// len(body), whatever v says.
	DecodeBody(body []byte, v Version) error
}
