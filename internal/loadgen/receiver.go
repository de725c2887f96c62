package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
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

// statusBody is the part of an event the receiver reads.
type statusBody struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		RequestID string `json:"request_id"`
		To        string `json:"to"`
		Status    string `json:"status"`
	} `json:"data"`
}

// ServeHTTP handles one webhook POST.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := r.tr.now()
	if req.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxWebhookBody))
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
	evs, batch, ok := parseEvents(body)
	if !ok {
		r.malformed.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for _, ev := range evs {
		if ev.Type != webhook.TypeStatus {
			r.otherTypes.Add(1)
			continue
		}
		r.tr.statusEvent(ev.ID, ev.Data.RequestID, ev.Data.To, ev.Data.Status, at)
	}
	r.posts.Add(1)
	if batch {
		r.batchPosts.Add(1)
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseEvents reads a webhook body: one event object, or a batch (a
// non-empty JSON array of event objects). ok is false when the body is
// neither or an event has no id.
func parseEvents(body []byte) (evs []statusBody, batch, ok bool) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if batch = len(trimmed) > 0 && trimmed[0] == '['; batch {
		if json.Unmarshal(body, &evs) != nil || len(evs) == 0 {
			return nil, true, false
		}
	} else {
		var ev statusBody
		if json.Unmarshal(body, &ev) != nil {
			return nil, false, false
		}
		evs = []statusBody{ev}
	}
	for _, ev := range evs {
		if ev.ID == "" {
			return nil, batch, false
		}
	}
	return evs, batch, true
}
