package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// maxErrorSample bounds the error text kept per error kind.
const maxErrorSample = 200

// poster sends POST /sms requests and records their outcomes.
type poster struct {
	cfg      Config
	client   *http.Client
	endpoint string
	prefix   []byte      // `{"to":[` … is built per request; prefix holds `],"content":…,"client_ref":"bench-`
	header   http.Header // every request's headers, built once and only read (shared by the workers)
	raw      bool        // plain http: every worker posts on its own rawConn
	tr       *tracker

	sent               atomic.Int64
	completed          atomic.Int64
	accepted           atomic.Int64
	acceptedRecipients atomic.Int64
	acceptedSegments   atomic.Int64
	segmentsPerRcpt    atomic.Int64 // from the last 202
	failed             atomic.Int64

	mu           sync.Mutex
	errors       map[string]int64
	errorSamples map[string]string
	accept       Histogram // send → 202
	acceptDue    Histogram // due time → 202 (includes start lag)
	lag          Histogram // due time → send
}

// acceptedBody is the part of the 202 answer the tool reads.
type acceptedBody struct {
	ID                   string `json:"id"`
	Recipients           int    `json:"recipients"`
	SegmentsPerRecipient int    `json:"segments_per_recipient"`
	TotalSegments        int    `json:"total_segments"`
}

// acceptedFields is acceptedBody as the scanner reads it (id points
// into the body).
type acceptedFields struct {
	id                                  []byte
	recipients                          int64
	segmentsPerRecipient, totalSegments int64
}

// scanAccepted reads a 202 body with the scanner; false: not sure (invalid
// JSON included), encoding/json must decide.
func scanAccepted(body []byte) (acceptedFields, bool) {
	var ab acceptedFields
	s := &jsonScanner{b: body}
	unsure := false
	ok := s.object(func(key []byte) bool {
		switch {
		case keyIs(key, "id", &unsure):
			return s.stringField(&ab.id)
		case keyIs(key, "recipients", &unsure):
			return s.intField(&ab.recipients)
		case keyIs(key, "segments_per_recipient", &unsure):
			return s.intField(&ab.segmentsPerRecipient)
		case keyIs(key, "total_segments", &unsure):
			return s.intField(&ab.totalSegments)
		}
		return !unsure && s.value()
	})
	return ab, ok && !unsure && s.eof()
}

func newPoster(cfg Config, callbackURL string, tr *tracker) *poster {
	tail, _ := json.Marshal(struct {
		Content     string `json:"content"`
		CallbackURL string `json:"callback_url"`
	}{cfg.Content, callbackURL})
	// tail is {"content":…,"callback_url":…}; splice it after the numbers.
	prefix := append([]byte(`],`), tail[1:len(tail)-1]...)
	prefix = append(prefix, `,"client_ref":"bench-`...)
	_, raw := newRawConn(cfg.URL, "/sms", cfg.Key, cfg.RequestTimeout)
	return &poster{
		raw:      raw,
		cfg:      cfg,
		endpoint: cfg.URL + "/sms",
		prefix:   prefix,
		header: http.Header{
			"Content-Type":  {"application/json"},
			"Authorization": {"Bearer " + cfg.Key},
		},
		tr: tr,
		client: &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        cfg.Concurrency,
			MaxIdleConnsPerHost: cfg.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}},
		errors:       map[string]int64{},
		errorSamples: map[string]string{},
	}
}

// worker is the per-goroutine scratch space of a poster.
type worker struct {
	body    []byte
	numbers []uint64
	resp    []byte
	raw     *rawConn // the worker's own connection (plain http)
}

// close drops the worker's connection.
func (w *worker) close() {
	if w.raw != nil {
		w.raw.close()
	}
}

// send POSTs body and reads the answer into w.resp: on the worker's own
// connection for plain http, through net/http otherwise (https). err is
// a transport error (the kinds are told by errors.Is).
func (p *poster) send(ctx context.Context, w *worker, body []byte) (status int, err error) {
	if p.raw {
		if w.raw == nil {
			w.raw, _ = newRawConn(p.cfg.URL, "/sms", p.cfg.Key, p.cfg.RequestTimeout)
		}
		status, w.resp, err = w.raw.post(ctx, body, w.resp)
		return status, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = p.header
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	w.resp, err = readAll(w.resp[:0], resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, err
}

// post sends request i, due at due, and records the outcome.
func (p *poster) post(ctx context.Context, w *worker, i int64, due time.Time) {
	w.numbers = w.numbers[:0]
	b := append(w.body[:0], `{"to":[`...)
	for j := range p.cfg.Recipients {
		n := recipientNumber(i, j, p.cfg.Recipients)
		w.numbers = append(w.numbers, n)
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendNumber(b, n)
		b = append(b, '"')
	}
	b = append(b, p.prefix...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, `"}`...)
	w.body = b

	start := time.Now()
	p.sent.Add(1)
	status, err := p.send(ctx, w, b)
	end := time.Now()
	acceptedAt := p.tr.now()
	p.completed.Add(1)
	if err != nil {
		kind := "transport"
		if errors.Is(err, context.DeadlineExceeded) {
			kind = "timeout"
		} else if errors.Is(err, context.Canceled) {
			kind = "cancelled"
		}
		p.fail(kind, err.Error())
		return
	}
	if status != http.StatusAccepted {
		p.fail(strconv.Itoa(status), string(w.resp))
		return
	}
	ab, ok := scanAccepted(w.resp)
	if !ok {
		var slow acceptedBody
		if err := json.Unmarshal(w.resp, &slow); err != nil {
			p.fail("bad_202_body", err.Error())
			return
		}
		ab = acceptedFields{id: []byte(slow.ID), segmentsPerRecipient: int64(slow.SegmentsPerRecipient), totalSegments: int64(slow.TotalSegments)}
	}
	id, err := uuid.ParseBytes(ab.id)
	if err != nil {
		p.fail("bad_202_body", "id "+strconv.Quote(string(ab.id))+": "+err.Error())
		return
	}
	p.tr.accepted(id, w.numbers, acceptedAt)
	p.accepted.Add(1)
	p.acceptedRecipients.Add(int64(len(w.numbers)))
	p.acceptedSegments.Add(ab.totalSegments)
	p.segmentsPerRcpt.Store(ab.segmentsPerRecipient)
	p.mu.Lock()
	p.accept.Record(end.Sub(start))
	p.acceptDue.Record(end.Sub(due))
	p.lag.Record(start.Sub(due))
	p.mu.Unlock()
}

// fail counts one failed request by kind (HTTP status or error class).
func (p *poster) fail(kind, sample string) {
	p.failed.Add(1)
	if len(sample) > maxErrorSample {
		sample = sample[:maxErrorSample]
	}
	p.mu.Lock()
	p.errors[kind]++
	if _, ok := p.errorSamples[kind]; !ok {
		p.errorSamples[kind] = sample
	}
	p.mu.Unlock()
}

// readAll appends r's content to b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// close releases idle connections.
func (p *poster) close() { p.client.CloseIdleConnections() }

func itoa(n int) string { return strconv.Itoa(n) }
