package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/smsbridge/smsbridge/internal/netguard"
)

// Request headers of webhook POSTs (besides SignatureHeader).
const (
	// EventIDHeader carries the event id of a one-event POST; receivers
	// de-duplicate by it.
	EventIDHeader = "X-Smsbridge-Event-Id"
	// EventTypeHeader carries the event type (sms.status, sms.mo); in a
	// batch, the type of every event of the array.
	EventTypeHeader = "X-Smsbridge-Event-Type"
	// EventCountHeader carries the number of events of a batch POST (a
	// JSON array; see Tenant.BatchMax), which has no EventIDHeader:
	// receivers de-duplicate by each element's id.
	EventCountHeader = "X-Smsbridge-Event-Count"
)

// maxResponseRead bounds how much of a response body is read (and
// discarded, so the connection can be reused).
const maxResponseRead = 64 << 10

// maxErrorSnippet bounds the response text logged at debug. A response
// body is never logged above debug nor stored: it may be an internal
// service's answer.
const maxErrorSnippet = 200

// verdict is what a delivery attempt means for the event.
type verdict int

const (
	// delivered: 2xx; ack.
	delivered verdict = iota
	// retry: anything else worth another try (non-2xx, timeout, network).
	retry
	// gone: 410 Gone, an unusable URL or a forbidden address (see
	// netguard); dead-letter at once.
	gone
)

// attemptResult is the outcome of one POST.
type attemptResult struct {
	verdict verdict
	status  int           // HTTP status, 0 when no response
	err     string        // human-readable cause when not delivered: never the response body
	body    string        // start of the response body, for debug logs only
	detail  string        // the raw transport error (it may quote the receiver's answer), for debug logs only
	took    time.Duration // POST duration
}

// post sends j's body to its URL once, signed with its secrets at now.
func (d *Dispatcher) post(ctx context.Context, j *delivery) attemptResult {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	start := time.Now()
	body := j.body()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(body))
	if err != nil {
		// A URL that parsed but cannot make a request never gets better.
		return attemptResult{verdict: gone, err: "invalid callback URL"}
	}
	// The header map is filled directly (the keys are canonical already):
	// Header.Set would canonicalise each key and allocate each value.
	vals := make([]string, 5)
	vals[0], vals[1], vals[2], vals[3] = "application/json", d.userAgent, Sign(j.secrets, d.cfg.Now(), body), j.typ
	h := make(http.Header, 5)
	h["Content-Type"], h["User-Agent"], h[SignatureHeader], h[EventTypeHeader] = vals[0:1:1], vals[1:2:2], vals[2:3:3], vals[3:4:4]
	if j.batch {
		vals[4] = strconv.Itoa(len(j.events))
		h[EventCountHeader] = vals[4:5:5]
	} else {
		vals[4] = j.events[0].ev.ID
		h[EventIDHeader] = vals[4:5:5]
	}
	req.Header = h
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		var fe *netguard.ForbiddenError
		if errors.As(err, &fe) {
			// Refused at connect time: the name resolves to an address
			// webhooks may not reach. Retrying would not help unless DNS
			// changes; an operator can replay the dead letter.
			return attemptResult{verdict: gone, err: fe.Error(), took: time.Since(start)}
		}
		detail := err
		var ue *url.Error
		if errors.As(err, &ue) {
			detail = ue.Err // drop "Post \"<url>\": " (credentials), even at debug
		}
		return attemptResult{verdict: retry, err: transportError(ctx, err), detail: detail.Error(), took: time.Since(start)}
	}
	var snippet []byte
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		snippet = make([]byte, maxErrorSnippet)
		n, _ := io.ReadFull(resp.Body, snippet)
		snippet = snippet[:n]
	}
	// The rest is read (up to maxResponseRead in all) and discarded so
	// that the connection goes back to the pool for the next POST.
	io.CopyN(io.Discard, resp.Body, maxResponseRead-int64(len(snippet)))
	resp.Body.Close()
	res := attemptResult{status: resp.StatusCode, took: time.Since(start)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.verdict = delivered
		return res
	case resp.StatusCode == http.StatusGone:
		res.verdict = gone
	default:
		res.verdict = retry
	}
	res.err = "HTTP " + strconv.Itoa(resp.StatusCode)
	res.body = cleanSnippet(snippet)
	return res
}

// transportError names the cause of a failed round trip in words of its
// own: never the request URL (which may carry credentials in its query),
// nor anything the receiver sent — Go's HTTP errors quote a malformed
// answer ("malformed HTTP response \"SSH-2.0-…\""), which may be an
// internal service's banner or data. Only errors of the connection itself
// (dial, read, write, TLS) keep their text; the raw error goes to debug
// logs only (attemptResult.detail).
func transportError(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(ctx.Err(), context.Canceled):
		return "cancelled (shutdown)"
	}
	var (
		oe *net.OpError
		rh tls.RecordHeaderError
		cv *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &oe):
		return "connection error: " + oe.Error() // addresses and a system error
	case errors.As(err, &rh):
		return "connection error: " + rh.Msg // the 5 record bytes are not in Msg
	case errors.As(err, &cv):
		return "connection error: " + cv.Error() // why the certificate is not trusted
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection error: closed by the receiver without a response"
	}
	return "connection error: the receiver's answer is not a valid HTTP response"
}

// cleanSnippet returns the start of a response body on one line, without
// control characters, at most maxErrorSnippet bytes.
func cleanSnippet(b []byte) string {
	if len(b) > maxErrorSnippet {
		b = b[:maxErrorSnippet]
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, string(bytes.ToValidUTF8(b, nil)))
	return strings.TrimSpace(s)
}

// DefaultHTTPClient returns the client used when Config.HTTPClient is nil:
// no redirects followed (a 3xx counts as a failed attempt), no proxy (the
// environment's HTTP(S)_PROXY is ignored: a proxy would connect on the
// dispatcher's behalf, past the address check), dial and TLS handshake
// bounded to 5 s, at most perHost connections per host (kept alive
// between POSTs). Unless
// allowPrivate, every connection's resolved address must pass
// netguard.DialControl (no loopback, private, link-local, … receiver).
// The per-POST deadline is Config.Timeout, applied with a context.
func DefaultHTTPClient(perHost int, allowPrivate bool) *http.Client {
	return newHTTPClient(perHost, allowPrivate, nil)
}

// newHTTPClient is DefaultHTTPClient resolving names with resolver (nil:
// the system's).
func newHTTPClient(perHost int, allowPrivate bool, resolver *net.Resolver) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Resolver: resolver}
	if !allowPrivate {
		dialer.Control = netguard.DialControl
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	tr.TLSHandshakeTimeout = 5 * time.Second
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = max(perHost, 2)
	// The dispatcher has at most perHost POSTs in flight per host: with
	// as many connections the transport never dials one more only to
	// close it for want of an idle slot (it did while connections were
	// being dialed), so a busy receiver sees perHost connections, kept
	// alive.
	tr.MaxConnsPerHost = max(perHost, 2)
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
