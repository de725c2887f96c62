package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"
)

// rawConn is one worker's own keep-alive HTTP/1.1 connection to the
// service, used for POST /sms over plain http. The worker writes a request
// in one write and reads the answer itself: no transport goroutines, no
// hand-offs between them, no per-request header maps (net/http's client
// was a third of the tool's CPU per message). It is not safe for
// concurrent use.
type rawConn struct {
	addr    string // host:port
	head    []byte // request line and headers up to "Content-Length: "
	timeout time.Duration

	conn      net.Conn
	br        *bufio.Reader
	stopAfter func() bool // unregisters the ctx cancellation hook of conn
	buf       []byte
}

// newRawConn returns a rawConn for POST path on base (http only; ok is
// false for other schemes, which keep net/http).
func newRawConn(base, path, key string, timeout time.Duration) (*rawConn, bool) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil {
		return nil, false
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	head := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: smsbridge-bench\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: ",
		u.EscapedPath()+path, u.Host, key)
	return &rawConn{addr: addr, head: head, timeout: timeout}, true
}

// errConnCancelled marks a request cut short because ctx was done.
var errConnCancelled = errors.New("request cancelled")

// post sends body and reads the answer into resp (reset); it returns the
// status code. On any error the connection is closed (the next post
// dials again).
func (c *rawConn) post(ctx context.Context, body, resp []byte) (status int, _ []byte, err error) {
	if err := ctx.Err(); err != nil {
		return 0, resp, err
	}
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return 0, resp, err
		}
	}
	status, resp, keep, err := c.roundTrip(body, resp[:0])
	if err != nil {
		c.close()
		if ctx.Err() != nil {
			return 0, resp, fmt.Errorf("%w: %w", errConnCancelled, ctx.Err())
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, resp, fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		return 0, resp, err
	}
	if !keep {
		c.close()
	}
	return status, resp, nil
}

func (c *rawConn) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	c.conn, c.br = conn, bufio.NewReaderSize(conn, 4096)
	// Cancelling ctx interrupts a request in flight (the deadline in the
	// past fails its read or write at once).
	c.stopAfter = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return nil
}

// close drops the connection.
func (c *rawConn) close() {
	if c.conn != nil {
		c.stopAfter()
		_ = c.conn.Close()
		c.conn, c.br = nil, nil
	}
}

// roundTrip writes one request and reads its answer; keep is false when
// the server asked to close the connection.
func (c *rawConn) roundTrip(body, resp []byte) (status int, _ []byte, keep bool, err error) {
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, resp, false, err
	}
	b := append(c.buf[:0], c.head...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	c.buf = b
	if _, err := c.conn.Write(b); err != nil {
		return 0, resp, false, err
	}
	for {
		status, resp, keep, err = c.readResponse(resp)
		if err != nil || status >= 200 {
			return status, resp, keep, err
		}
		resp = resp[:0] // 1xx: an interim answer, the real one follows
	}
}

// readResponse reads a status line, headers and body (Content-Length,
// chunked, or up to EOF).
func (c *rawConn) readResponse(resp []byte) (status int, _ []byte, keep bool, err error) {
	line, err := c.readLine()
	if err != nil {
		return 0, resp, false, err
	}
	// "HTTP/1.1 202 Accepted"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, resp, false, fmt.Errorf("malformed HTTP status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 {
		return 0, resp, false, fmt.Errorf("malformed HTTP status line %q", line)
	}
	keep = line[7] == '1'
	length, chunked := int64(-1), false
	for {
		h, err := c.readLine()
		if err != nil {
			return 0, resp, false, err
		}
		if len(h) == 0 {
			break
		}
		colon := bytes.IndexByte(h, ':')
		if colon <= 0 {
			return 0, resp, false, fmt.Errorf("malformed HTTP header %q", h)
		}
		name, value := h[:colon], bytes.TrimSpace(h[colon+1:])
		switch {
		case equalFoldASCII(name, "Content-Length") && len(name) == len("Content-Length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return 0, resp, false, fmt.Errorf("malformed Content-Length %q", value)
			}
			length = n
		case equalFoldASCII(name, "Transfer-Encoding") && len(name) == len("Transfer-Encoding"):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case equalFoldASCII(name, "Connection") && len(name) == len("Connection"):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		}
	}
	switch {
	case status < 200 || status == 204 || status == 304:
		return status, resp, keep, nil
	case chunked:
		resp, err = readAll(resp, httputil.NewChunkedReader(c.br))
		if err == nil {
			err = c.skipTrailers()
		}
		return status, resp, keep, err
	case length >= 0:
		if length > maxWebhookBody {
			return 0, resp, false, fmt.Errorf("answer of %d bytes", length)
		}
		n := int(length)
		if cap(resp) < n {
			resp = make([]byte, 0, n)
		}
		resp = resp[:n]
		_, err = io.ReadFull(c.br, resp)
		return status, resp, keep, err
	default:
		resp, err = readAll(resp, io.LimitReader(c.br, maxWebhookBody))
		return status, resp, false, err
	}
}

// readLine reads one CRLF-terminated line (without it); the slice is valid
// until the next read.
func (c *rawConn) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("HTTP header line too long")
		}
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// skipTrailers reads the lines after a chunked body up to the empty one.
func (c *rawConn) skipTrailers() error {
	for {
		line, err := c.readLine()
		if err != nil || len(line) == 0 {
			return err
		}
	}
}
