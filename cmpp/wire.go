package cmpp

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Bounds-checked primitives. Each read returns the value, the offset just
// after it, and an error wrapping ErrTruncated when b is too short; a read
// never panics and never allocates more than the field it returns.

func truncated(off, n, have int) error {
	return fmt.Errorf("%w (need %d bytes at offset %d, have %d)", ErrTruncated, n, off, have)
}

// need checks that n bytes are available at off.
func need(b []byte, off, n int) error {
	if off < 0 || n < 0 || off > len(b) || len(b)-off < n {
		return truncated(off, n, len(b))
	}
	return nil
}

func readU8(b []byte, off int) (uint8, int, error) {
	if err := need(b, off, 1); err != nil {
		return 0, off, err
	}
	return b[off], off + 1, nil
}

func readU32(b []byte, off int) (uint32, int, error) {
	if err := need(b, off, 4); err != nil {
		return 0, off, err
	}
	return binary.BigEndian.Uint32(b[off:]), off + 4, nil
}

func readU64(b []byte, off int) (uint64, int, error) {
	if err := need(b, off, 8); err != nil {
		return 0, off, err
	}
	return binary.BigEndian.Uint64(b[off:]), off + 8, nil
}

// readUint reads a big-endian integer of width 1 or 4 (the Status/Result
// fields whose width differs between 2.0 and 3.0).
func readUint(b []byte, off, width int) (uint32, int, error) {
	if width == 1 {
		v, off, err := readU8(b, off)
		return uint32(v), off, err
	}
	return readU32(b, off)
}

// readOctetString reads an OS(n) field by the §10 decode rule: the bytes
// before the first NUL, with trailing spaces trimmed.
func readOctetString(b []byte, off, n int) (string, int, error) {
	if err := need(b, off, n); err != nil {
		return "", off, err
	}
	f := b[off : off+n]
	for i, c := range f {
		if c == 0 {
			f = f[:i]
			break
		}
	}
	return strings.TrimRight(string(f), " "), off + n, nil
}

// readBytes returns a copy of n bytes at off (nil when n is 0).
func readBytes(b []byte, off, n int) ([]byte, int, error) {
	if err := need(b, off, n); err != nil {
		return nil, off, err
	}
	if n == 0 {
		return nil, off, nil
	}
	out := make([]byte, n)
	copy(out, b[off:])
	return out, off + n, nil
}

func appendU8(b []byte, v uint8) []byte { return append(b, v) }

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// appendUint appends v with width 1 or 4; a value above 255 in a one-byte
// field is an error, never truncated.
func appendUint(b []byte, v uint32, width int) ([]byte, error) {
	if width == 1 {
		if v > 0xff {
			return b, fmt.Errorf("%w (%d > 255)", ErrValueOutOfRange, v)
		}
		return append(b, uint8(v)), nil
	}
	return appendU32(b, v), nil
}

// appendOctetString appends s as an OS(n) field, NUL-padded on the right.
// A value longer than n bytes is an error wrapping ErrValueTooLong.
func appendOctetString(b []byte, s string, n int) ([]byte, error) {
	if len(s) > n {
		return b, fmt.Errorf("%w (%d > %d)", ErrValueTooLong, len(s), n)
	}
	b = append(b, s...)
	// One bulk zero fill (the compiler turns this into a clear, with no
	// allocation) instead of a byte at a time: SUBMIT has ~15 such fields.
	return append(b, make([]byte, n-len(s))...), nil
}

// layout holds the field widths that differ between 2.0 and 3.0, so each
// PDU has one encode/decode pair parameterised by widths.
type layout struct {
	is30        bool // 3.0-only fields present
	terminalLen int  // Fee/Dest/Src_terminal_Id: 21 or 32
	linkIDLen   int  // Reserve (2.0) / LinkID (3.0): 8 or 20
	resultLen   int  // Status / Result / Success_Id: 1 or 4
}

var (
	layout20 = layout{is30: false, terminalLen: 21, linkIDLen: 8, resultLen: 1}
	layout30 = layout{is30: true, terminalLen: 32, linkIDLen: 20, resultLen: 4}
)

func layoutFor(v Version) layout {
	if v.Is30() {
		return layout30
	}
	return layout20
}

// bool8 is 1 when the condition holds, for the 3.0-only one-byte fields.
func bool8(c bool) int {
	if c {
		return 1
	}
	return 0
}

// encoder appends fields to b and keeps the first error, wrapped in a
// FieldError naming the PDU and field. It lives on the caller's stack.
type encoder struct {
	b   []byte
	pdu string
	err error
}

func (e *encoder) fail(field string, err error) {
	if e.err == nil {
		e.err = &FieldError{PDU: e.pdu, Field: field, Err: err}
	}
}

func (e *encoder) u8(v uint8)   { e.b = appendU8(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = appendU32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = appendU64(e.b, v) }
func (e *encoder) raw(p []byte) { e.b = append(e.b, p...) }

func (e *encoder) uint(field string, v uint32, width int) {
	b, err := appendUint(e.b, v, width)
	if err != nil {
		e.fail(field, err)
		return
	}
	e.b = b
}

func (e *encoder) os(field, s string, n int) {
	b, err := appendOctetString(e.b, s, n)
	if err != nil {
		e.fail(field, err)
		return
	}
	e.b = b
}

func (e *encoder) done() ([]byte, error) { return e.b, e.err }

// decoder reads fields from a body and keeps the first error, wrapped in a
// FieldError naming the PDU and field; after an error every read returns
// the zero value.
type decoder struct {
	b   []byte
	off int
	pdu string
	err error
}

func (d *decoder) fail(field string, err error) {
	if d.err == nil {
		d.err = &FieldError{PDU: d.pdu, Field: field, Err: err}
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) u8(field string) uint8 {
	if d.err != nil {
		return 0
	}
	v, off, err := readU8(d.b, d.off)
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.off = off
	return v
}

func (d *decoder) u32(field string) uint32 {
	if d.err != nil {
		return 0
	}
	v, off, err := readU32(d.b, d.off)
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.off = off
	return v
}

func (d *decoder) u64(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, off, err := readU64(d.b, d.off)
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.off = off
	return v
}

func (d *decoder) uint(field string, width int) uint32 {
	if d.err != nil {
		return 0
	}
	v, off, err := readUint(d.b, d.off, width)
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.off = off
	return v
}

func (d *decoder) os(field string, n int) string {
	if d.err != nil {
		return ""
	}
	v, off, err := readOctetString(d.b, d.off, n)
	if err != nil {
		d.fail(field, err)
		return ""
	}
	d.off = off
	return v
}

func (d *decoder) bytes(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	v, off, err := readBytes(d.b, d.off, n)
	if err != nil {
		d.fail(field, err)
		return nil
	}
	d.off = off
	return v
}

// fixed copies len(dst) bytes into dst (the MD5 digests).
func (d *decoder) fixed(field string, dst []byte) {
	if d.err != nil {
		return
	}
	if err := need(d.b, d.off, len(dst)); err != nil {
		d.fail(field, err)
		return
	}
	d.off += copy(dst, d.b[d.off:])
}

// done reports the first error, or ErrTrailingBytes when bytes are left.
func (d *decoder) done() error {
	if d.err == nil && d.off != len(d.b) {
		return &FieldError{PDU: d.pdu, Field: "Total_Length",
			Err: fmt.Errorf("%w (%d after the last field)", ErrTrailingBytes, len(d.b)-d.off)}
	}
	return d.err
}

// badLength is the error of a response whose body length matches neither
// the 2.0 nor the 3.0 layout.
func badLength(pdu string, got int, want ...int) error {
	return &FieldError{PDU: pdu, Field: "Total_Length",
		Err: fmt.Errorf("%w (body %d bytes, want one of %v)", ErrBadLength, got, want)}
}
