package loadgen

import (
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
// (when a secret is set), de-duplicates by event id and hands sms.status
// events to the tracker. Every valid event is answered 204.
type receiver struct {
	tr     *tracker
	secret string
	ln     net.Listener
	srv    *http.Server
	done   chan struct{}

	badSignature atomic.Int64 // answered 401
	malformed    atomic.Int64 // answered 400
	otherTypes   atomic.Int64 // valid events that are not sms.status (sms.mo)
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
	var ev statusBody
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		r.malformed.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if ev.Type != webhook.TypeStatus {
		r.otherTypes.Add(1)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.tr.statusEvent(ev.ID, ev.Data.RequestID, ev.Data.To, ev.Data.Status, at)
	w.WriteHeader(http.StatusNoContent)
}
