package ismgsim

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/content"
)

// AdminHandler returns the JSON admin API of the simulator:
//
//	GET    /accounts            accounts (secrets masked) with logged-in link counts
//	POST   /accounts            add an account (AccountDoc)                → 201
//	PUT    /accounts/{sp_id}    update an account; an empty or masked secret keeps the old one
//	DELETE /accounts/{sp_id}    remove an account, closing its links      → 204
//	POST   /mo                  inject an MO (MO)                           → 202
//	GET    /faults              active faults (FaultsDoc)
//	PUT    /faults              replace the faults (FaultsDoc)
//	GET    /received            received segments, oldest first; ?sp_id= &limit= (the last n)
//	GET    /counts              counters per SP_Id (AccountCounts), with links now and their peak
//	POST   /reset               forget received segments and zero the counters → 204
//
// Errors are {"code": "...", "message": "..."} with codes bad_request,
// not_found, conflict, no_link, closed and method_not_allowed.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /accounts", s.adminListAccounts)
	mux.HandleFunc("POST /accounts", s.adminAddAccount)
	mux.HandleFunc("PUT /accounts/{sp_id}", s.adminUpdateAccount)
	mux.HandleFunc("DELETE /accounts/{sp_id}", s.adminRemoveAccount)
	mux.HandleFunc("POST /mo", s.adminInjectMO)
	mux.HandleFunc("GET /faults", s.adminGetFaults)
	mux.HandleFunc("PUT /faults", s.adminSetFaults)
	mux.HandleFunc("GET /received", s.adminReceived)
	mux.HandleFunc("GET /counts", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Counts())
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetReceived()
		s.ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	})
	return jsonErrors{mux}
}

// jsonErrors turns the mux's own plain-text 404 and 405 answers into
// {"code","message"} bodies.
type jsonErrors struct{ mux *http.ServeMux }

func (j jsonErrors) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := j.mux.Handler(r)
	if pattern != "" {
		j.mux.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	switch rec.status {
	case http.StatusMethodNotAllowed:
		writeError(w, rec.status, "method_not_allowed", errors.New(r.Method+" not allowed on "+r.URL.Path))
	default:
		writeError(w, http.StatusNotFound, "not_found", errors.New("no such endpoint: "+r.URL.Path))
	}
}

// statusRecorder captures the status of a mux fallback handler.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.status = code }

// APIError is the body of every admin API error response.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code string, err error) {
	writeJSON(w, status, APIError{Code: code, Message: err.Error()})
}

// writeAPIError maps the simulator's sentinel errors to HTTP statuses.
func writeAPIError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrUnknownAccount):
		writeError(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, ErrAccountExists):
		writeError(w, http.StatusConflict, "conflict", err)
	case errors.Is(err, ErrNoLink):
		writeError(w, http.StatusConflict, "no_link", err)
	case errors.Is(err, ErrClosed):
		writeError(w, http.StatusServiceUnavailable, "closed", err)
	default:
		writeError(w, http.StatusBadRequest, "bad_request", err)
	}
}

// decodeBody reads a JSON body of at most 1 MiB, rejecting unknown fields.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err)
		return false
	}
	return true
}

func (s *Server) adminListAccounts(w http.ResponseWriter, _ *http.Request) {
	accts := s.Accounts()
	out := make([]AccountDoc, len(accts))
	for i, a := range accts {
		out[i] = docOf(a, s.Links(a.SPID))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminAddAccount(w http.ResponseWriter, r *http.Request) {
	var d AccountDoc
	if !decodeBody(w, r, &d) {
		return
	}
	a, err := d.Account()
	if err == nil {
		err = s.AddAccount(a)
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, docOf(a, 0))
}

func (s *Server) adminUpdateAccount(w http.ResponseWriter, r *http.Request) {
	spID := r.PathValue("sp_id")
	var d AccountDoc
	if !decodeBody(w, r, &d) {
		return
	}
	if d.SPID != "" && d.SPID != spID {
		writeError(w, http.StatusBadRequest, "bad_request", errors.New("sp_id in the body differs from the path"))
		return
	}
	d.SPID = spID
	acct := s.account(spID)
	if acct == nil {
		writeAPIError(w, ErrUnknownAccount)
		return
	}
	if d.Secret == "" || d.Secret == secretMask {
		d.Secret = acct.cfg.Load().Secret
	}
	a, err := d.Account()
	if err == nil {
		err = s.UpdateAccount(a)
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, docOf(a, s.Links(spID)))
}

func (s *Server) adminRemoveAccount(w http.ResponseWriter, r *http.Request) {
	if err := s.RemoveAccount(r.PathValue("sp_id")); err != nil {
		writeAPIError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminInjectMO(w http.ResponseWriter, r *http.Request) {
	var mo MO
	if !decodeBody(w, r, &mo) {
		return
	}
	if err := s.InjectMO(r.Context(), mo); err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}

func (s *Server) adminGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, faultsDocOf(s.Faults()))
}

func (s *Server) adminSetFaults(w http.ResponseWriter, r *http.Request) {
	var d FaultsDoc
	if !decodeBody(w, r, &d) {
		return
	}
	f, err := d.Faults()
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err)
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, faultsDocOf(s.Faults()))
}

// ReceivedDoc is the JSON form of a ReceivedSegment (same fields, Msg_Id
// as text, content as hex plus its decoded text when it has one).
type ReceivedDoc struct {
	SPID               string    `json:"sp_id"`
	LinkID             uint64    `json:"link_id"`
	Seq                uint32    `json:"seq"`
	MsgID              string    `json:"msg_id"` // 22-digit composite form
	Result             uint32    `json:"result"`
	PkTotal            uint8     `json:"pk_total"`
	PkNumber           uint8     `json:"pk_number"`
	TPUDHI             uint8     `json:"tp_udhi"`
	MsgFmt             uint8     `json:"msg_fmt"`
	Content            string    `json:"content_hex"`    // Msg_Content, UDH included
	Text               string    `json:"text,omitempty"` // payload decoded when it is text on its own
	Dest               string    `json:"dest"`
	Recipients         int       `json:"recipients"`
	SrcID              string    `json:"src_id"`
	ServiceID          string    `json:"service_id"`
	MsgSrc             string    `json:"msg_src"`
	RegisteredDelivery uint8     `json:"registered_delivery"`
	At                 time.Time `json:"at"`
}

func receivedDocOf(r ReceivedSegment) ReceivedDoc {
	d := ReceivedDoc{SPID: r.SPID, LinkID: r.LinkID, Seq: r.Seq, MsgID: r.MsgID.String(), Result: r.Result,
		PkTotal: r.PkTotal, PkNumber: r.PkNumber, TPUDHI: r.TPUDHI, MsgFmt: r.MsgFmt,
		Content: hex.EncodeToString(r.Content), Dest: r.Dest, Recipients: r.Recipients, SrcID: r.SrcID,
		ServiceID: r.ServiceID, MsgSrc: r.MsgSrc, RegisteredDelivery: r.RegisteredDelivery, At: r.At}
	payload := r.Content
	if content.HasUDHI(r.TPUDHI) {
		if _, p, err := content.ParseUDH(r.Content); err == nil {
			payload = p
		} else {
			payload = nil
		}
	}
	// A segment may end inside a character (blind splitters, §8.3); then
	// only content_hex is meaningful.
	if text, err := content.Decode(r.MsgFmt, payload); err == nil {
		d.Text = text
	}
	return d
}

func (s *Server) adminReceived(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "bad_request", errors.New("limit must be a non-negative integer"))
			return
		}
		limit = n
	}
	segs := s.ReceivedFor(r.URL.Query().Get("sp_id"), limit)
	out := make([]ReceivedDoc, len(segs))
	for i, seg := range segs {
		out[i] = receivedDocOf(seg)
	}
	writeJSON(w, http.StatusOK, out)
}
