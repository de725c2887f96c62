package cmpp

import "errors"

// Sentinel errors returned (usually wrapped) by the codec. Test for them with
// errors.Is; a FieldError wraps one of them and names the field.
var (
	// ErrTruncated means a body or buffer ends before a field does.
	ErrTruncated = errors.New("truncated")
	// ErrFrameTooShort means Total_Length is below the 12-byte header.
	ErrFrameTooShort = errors.New("frame too short")
	// ErrFrameTooLong means Total_Length is above the frame cap (MaxFrameLen
	// by default); the connection cannot be resynchronised.
	ErrFrameTooLong = errors.New("frame too long")
	// ErrUnknownCommand means a Command_Id this package has no PDU for.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrValueTooLong means a value does not fit its fixed-width field.
	// The encoder never truncates.
	ErrValueTooLong = errors.New("value too long")
	// ErrValueOutOfRange means an integer does not fit its field (a 2.0
	// one-byte Status/Result above 255, DestUsr_tl outside 1..99).
	ErrValueOutOfRange = errors.New("value out of range")
	// ErrBadLength means Total_Length or a body length matches no layout of
	// the PDU.
	ErrBadLength = errors.New("bad length")
	// ErrTrailingBytes means bytes are left after the last field.
	ErrTrailingBytes = errors.New("trailing bytes")
	// ErrNotReport means Deliver.Report was called on an MO DELIVER
	// (Registered_Delivery != 1).
	ErrNotReport = errors.New("not a status report")
	// ErrBadMsgID means a Msg_Id text is not the 22-digit composite form.
	ErrBadMsgID = errors.New("bad Msg_Id text")
)

// FieldError is an encode or decode error in one field of one PDU, e.g.
// "SUBMIT.Dest_terminal_Id: value too long (25 > 21)".
type FieldError struct {
	PDU   string // PDU name as in CommandID.String, or "REPORT"
	Field string // field name as spelled in the specification
	Err   error  // the cause, wrapping one of the sentinel errors
}

// Error returns "PDU.Field: cause".
func (e *FieldError) Error() string { return e.PDU + "." + e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause, so errors.Is(err, ErrValueTooLong) works.
func (e *FieldError) Unwrap() error { return e.Err }
