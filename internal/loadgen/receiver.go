package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/webhook"
)

// maxWebhookBody bounds a webhook body read by the receiver.
const maxWebhookBody = 1 << 20

// signatureTolerance is the accepted clock skew of a webhook signature.
const signatureTolerance = 5 * time.Minute

// receiver is the load tool's webhook endpoint: it verifies signatures
// over the raw body (when a secret is set), takes one event (an object) or
// a batch (a JSON array of events) per POST, de-duplicates by event id and
// hands sms.status events to the tracker. Every valid POST is answered
// 204.
type receiver struct {
	tr     *tracker
	secret string
	ln     net.Listener
	srv    *http.Server
	done   chan struct{}

	badSignature atomic.Int64 // answered 401
	malformed    atomic.Int64 // answered 400
	otherTypes   atomic.Int64 // valid events that are not sms.status (sms.mo)
	posts        atomic.Int64 // POSTs answered 204
	batchPosts   atomic.Int64 // of which JSON arrays
}

// startReceiver listens on addr and serves until close.
func startReceiver(addr, secret string, tr *tracker) (*receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &receiver{tr: tr, secret: secret, ln: ln, done: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// callbackURL is the URL the service should POST to.
func (r *receiver) callbackURL() string {
	a := r.ln.Addr().(*net.TCPAddr)
	ip := a.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), itoa(a.Port)) + "/hook"
}

// close stops the server, waiting up to a few seconds for handlers.
func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		_ = r.srv.Close()
	}
	<-r.done
}

// statusBody is the part of an event the receiver reads (encoding/json
// form, for bodies the scanner leaves to it).
type statusBody struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		RequestID string `json:"request_id"`
		To        string `json:"to"`
		Status    string `json:"status"`
	} `json:"data"`
}

// eventFields is the part of an event the receiver reads; the fields
// point into the request body.
type eventFields struct{ id, typ, requestID, to, status []byte }

// hookScratch is one handler's reusable memory: the body and its events.
type hookScratch struct {
	body []byte
	evs  []eventFields
}

// maxPooledBody is the largest body buffer put back into the pool.
const maxPooledBody = 64 << 10

var hookScratchPool = sync.Pool{New: func() any { return new(hookScratch) }}

// ServeHTTP handles one webhook POST.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := r.tr.now()
	if req.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	sc := hookScratchPool.Get().(*hookScratch)
	defer func() {
		if cap(sc.body) <= maxPooledBody {
			clear(sc.evs)
			sc.evs = sc.evs[:0]
			hookScratchPool.Put(sc)
		}
	}()
	if n := req.ContentLength; n > 0 && n < maxWebhookBody && int64(cap(sc.body)) <= n {
		sc.body = make([]byte, 0, n+1) // +1: room to see the end
	}
	body, err := readAll(sc.body[:0], http.MaxBytesReader(w, req.Body, maxWebhookBody))
	sc.body = body
	if err != nil {
		r.malformed.Add(1)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		} else {
			w.WriteHeader(http.StatusBadRequest)
		}
		return
	}
	if r.secret != "" {
		if err := webhook.Verify(r.secret, req.Header.Get(webhook.SignatureHeader), body, time.Now(), signatureTolerance); err != nil {
			r.badSignature.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	evs, batch, ok := parseEvents(body, sc.evs[:0])
	sc.evs = evs
	if !ok {
		r.malformed.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for i := range evs {
		ev := &evs[i]
		if string(ev.typ) != webhook.TypeStatus {
			r.otherTypes.Add(1)
			continue
		}
		r.tr.statusEventBytes(ev.id, ev.requestID, ev.to, ev.status, at)
	}
	r.posts.Add(1)
	if batch {
		r.batchPosts.Add(1)
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseEvents reads a webhook body: one event object, or a batch (a
// non-empty JSON array of event objects), appending its events to evs.
// ok is false when the body is neither or an event has no id. The
// scanner reads the usual bodies; the others go to encoding/json.
func parseEvents(body []byte, evs []eventFields) (_ []eventFields, batch, ok bool) {
	evs, batch, sure := scanEvents(body, evs[:0])
	if !sure {
		evs, batch, ok = decodeEvents(body, evs[:0])
		if !ok {
			return evs, batch, false
		}
	}
	for i := range evs {
		if len(evs[i].id) == 0 {
			return evs, batch, false
		}
	}
	return evs, batch, true
}

// scanEvents reads body with the scanner; sure is false when it cannot
// tell (invalid JSON included), and encoding/json must decide.
func scanEvents(body []byte, evs []eventFields) (_ []eventFields, batch, sure bool) {
	s := &jsonScanner{b: body}
	s.ws()
	if batch = s.i < len(body) && body[s.i] == '['; batch {
		sure = s.array(func() bool {
			evs = append(evs, eventFields{})
			return scanEvent(s, &evs[len(evs)-1])
		}) && len(evs) > 0
	} else {
		evs = append(evs, eventFields{})
		sure = scanEvent(s, &evs[0])
	}
	return evs, batch, sure && s.eof()
}

// scanEvent reads one event object; false: not sure.
func scanEvent(s *jsonScanner, ev *eventFields) bool {
	unsure := false
	ok := s.object(func(key []byte) bool {
		switch {
		case keyIs(key, "id", &unsure):
			return s.stringField(&ev.id)
		case keyIs(key, "type", &unsure):
			return s.stringField(&ev.typ)
		case keyIs(key, "data", &unsure):
			return s.object(func(key []byte) bool {
				switch {
				case keyIs(key, "request_id", &unsure):
					return s.stringField(&ev.requestID)
				case keyIs(key, "to", &unsure):
					return s.stringField(&ev.to)
				case keyIs(key, "status", &unsure):
					return s.stringField(&ev.status)
				}
				return !unsure && s.value()
			})
		}
		return !unsure && s.value()
	})
	return ok && !unsure
}

// decodeEvents is parseEvents with encoding/json (ids not checked).
func decodeEvents(body []byte, evs []eventFields) (_ []eventFields, batch, ok bool) {
	var bodies []statusBody
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if batch = len(trimmed) > 0 && trimmed[0] == '['; batch {
		if json.Unmarshal(body, &bodies) != nil || len(bodies) == 0 {
			return evs, true, false
		}
	} else {
		var ev statusBody
		if json.Unmarshal(body, &ev) != nil {
			return evs, false, false
		}
		bodies = []statusBody{ev}
	}
	for _, b := range bodies {
		evs = append(evs, eventFields{
			id: []byte(b.ID), typ: []byte(b.Type), requestID: []byte(b.Data.RequestID),
			to: []byte(b.Data.To), status: []byte(b.Data.Status),
		})
	}
	return evs, batch, true
}
