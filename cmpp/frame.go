package cmpp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FrameReader splits a byte stream into whole PDUs by Total_Length (§1).
// It is not safe for concurrent use; a link has exactly one reader.
type FrameReader struct {
	r      *bufio.Reader
	max    int
	buf    []byte  // the current frame, reused
	lenBuf [4]byte // Total_Length, kept here so reading it does not allocate
}

// NewFrameReader returns a FrameReader on r that rejects frames longer
// than maxLen bytes; maxLen ≤ 0 means MaxFrameLen (4096).
func NewFrameReader(r io.Reader, maxLen int) *FrameReader {
	if maxLen <= 0 {
		maxLen = MaxFrameLen
	}
	return &FrameReader{r: bufio.NewReader(r), max: maxLen}
}

// ReadFrame returns the next whole PDU, header included. The slice is a
// reused buffer, valid until the next call. It checks 12 ≤ Total_Length ≤
// the cap before reading the body or allocating, and returns an error
// wrapping ErrFrameTooShort or ErrFrameTooLong otherwise; after such an
// error the stream cannot be resynchronised and the link must be closed.
// It returns io.EOF at a clean end of stream between frames and
// io.ErrUnexpectedEOF when the stream ends inside a frame.
func (fr *FrameReader) ReadFrame() ([]byte, error) {
	lenBuf := fr.lenBuf[:]
	if _, err := io.ReadFull(fr.r, lenBuf); err != nil {
		return nil, err // io.EOF at a frame boundary, io.ErrUnexpectedEOF inside
	}
	total := binary.BigEndian.Uint32(lenBuf)
	if total < HeaderLen {
		return nil, fmt.Errorf("%w: Total_Length %d < %d", ErrFrameTooShort, total, HeaderLen)
	}
	if uint64(total) > uint64(fr.max) {
		return nil, fmt.Errorf("%w: Total_Length %d (0x%08x) > %d", ErrFrameTooLong, total, total, fr.max)
	}
	n := int(total)
	if cap(fr.buf) < n {
		fr.buf = make([]byte, n, max(n, 512))
	}
	frame := fr.buf[:n]
	copy(frame, lenBuf)
	if _, err := io.ReadFull(fr.r, frame[4:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return frame, nil
}

// FrameBuffered reports whether the next frame is already whole in the
// read buffer, so that ReadFrame returns it without reading the stream: a
// server answers the requests that arrived together before it writes.
func (fr *FrameReader) FrameBuffered() bool {
	n := fr.r.Buffered()
	if n < 4 {
		return false
	}
	b, err := fr.r.Peek(4) // buffered: never reads
	return err == nil && uint64(binary.BigEndian.Uint32(b)) <= uint64(n)
}
