package content

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of these, so test
// them with errors.Is.
var (
	// ErrEmptyText is returned when asked to split an empty text.
	ErrEmptyText = errors.New("content: empty text")
	// ErrInvalidUTF8 is returned when the text to split is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("content: text is not valid UTF-8")
	// ErrUnrepresentable is wrapped by *CharError: a character of the text
	// cannot be carried by the requested encoding.
	ErrUnrepresentable = errors.New("content: character not representable")
	// ErrTooManySegments is returned when a text needs more segments than
	// Options.MaxSegments allows. HTTP callers turn it into 422.
	ErrTooManySegments = errors.New("content: too many segments")
	// ErrUnknownEncoding is returned by ParseEncoding for an unknown name.
	ErrUnknownEncoding = errors.New("content: unknown encoding")
	// ErrInvalidOptions is wrapped by Options.Validate errors.
	ErrInvalidOptions = errors.New("content: invalid options")
	// ErrBinary is returned by Decode and Join for binary Msg_Fmt values
	// (3, 4, or an unknown value whose DCS bits say 8-bit data): the content
	// has no text form, callers keep the raw bytes.
	ErrBinary = errors.New("content: binary content has no text form")
	// ErrUDHTruncated is returned by ParseUDH when the UDH (or one of its
	// information elements) claims more bytes than are present.
	ErrUDHTruncated = errors.New("content: UDH longer than content")
	// ErrUDHMissing is returned by ParseUDH for empty content.
	ErrUDHMissing = errors.New("content: TP_udhi set but content is empty")
)

// CharError reports a character that cannot be encoded in the requested
// encoding. It wraps ErrUnrepresentable.
type CharError struct {
	// Encoding is the encoding that was requested.
	Encoding Encoding
	// Char is the offending character.
	Char rune
	// Index is the 0-based character (rune) index of Char in the text.
	Index int
}

// Error implements error.
func (e *CharError) Error() string {
	return fmt.Sprintf("content: character %U %q at index %d cannot be encoded as %s",
		e.Char, e.Char, e.Index, e.Encoding)
}

// Unwrap returns ErrUnrepresentable.
func (e *CharError) Unwrap() error { return ErrUnrepresentable }
