package gateway

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/webhook"
)

// demoReceiver is the webhook receiver of demo mode: it verifies each
// POST's signature against the tenants' current secrets (read on each
// POST, so tenants made or rotated at runtime verify too), logs one line per event
// and keeps the last events for GET /webhooks, so a new user sees the
// whole round trip without writing a receiver. A POST carries one event
// (an object) or a batch (a JSON array of events, webhook_batch_max):
// every element of a batch is listed on its own.
type demoReceiver struct {
	secrets func() []string
	log     zerolog.Logger
	srv     *http.Server
	ln      net.Listener

	mu   sync.Mutex
	last []receivedWebhook
}

// receivedWebhook is one entry of GET /webhooks.
type receivedWebhook struct {
	ReceivedAt     time.Time `json:"received_at"`
	SignatureValid bool      `json:"signature_valid"`
	// BatchSize is the number of events of the batch POST the event came
	// in (absent for a one-event POST).
	BatchSize int             `json:"batch_size,omitempty"`
	Event     json.RawMessage `json:"event"`
}

const demoReceiverKeep = 100

func startDemoReceiver(addr string, secrets func() []string, log zerolog.Logger) (*demoReceiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	d := &demoReceiver{secrets: secrets, log: log, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", d.receive)
	mux.HandleFunc("GET /webhooks", d.list)
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

func (d *demoReceiver) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !json.Valid(body) {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	events, batch, ok := splitBatch(body)
	if !ok {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	valid := false
	for _, s := range d.secrets() {
		if webhook.Verify(s, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute) == nil {
			valid = true
			break
		}
	}
	now := time.Now().UTC()
	entries := make([]receivedWebhook, len(events))
	for i, ev := range events {
		var head struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Data struct {
				RequestID string `json:"request_id"`
				Status    string `json:"status"`
			} `json:"data"`
		}
		_ = json.Unmarshal(ev, &head)
		d.log.Info().Str("event_id", head.ID).Str("type", head.Type).Str("request_id", head.Data.RequestID).
			Str("status", head.Data.Status).Bool("signature_valid", valid).Bool("batch", batch).
			Msg("demo receiver: webhook received (GET /webhooks lists them)")
		entries[i] = receivedWebhook{ReceivedAt: now, SignatureValid: valid, Event: ev}
		if batch {
			entries[i].BatchSize = len(events)
		}
	}
	d.mu.Lock()
	d.last = append(d.last, entries...)
	if len(d.last) > demoReceiverKeep {
		d.last = d.last[len(d.last)-demoReceiverKeep:]
	}
	d.mu.Unlock()
	if !valid {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// splitBatch returns the events of a valid JSON body: the elements of an
// array (a batch), else the body itself. ok is false for a body that
// lists no event ("[]" or "null"): no webhook is sent empty.
func splitBatch(body []byte) (events []json.RawMessage, batch, ok bool) {
	if json.Unmarshal(body, &events) == nil {
		return events, true, len(events) > 0
	}
	return []json.RawMessage{body}, false, true
}

func (d *demoReceiver) list(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	out := append([]receivedWebhook{}, d.last...)
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

func (d *demoReceiver) close() { _ = d.srv.Close() }
