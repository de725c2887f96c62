package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/internal/msisdn"
	"github.com/smsbridge/smsbridge/internal/netguard"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// Limits of POST /sms.
const (
	// MaxRecipients is the largest number of distinct numbers in "to".
	MaxRecipients = 1000
	// MaxClientRefLen is the longest client_ref, in characters.
	MaxClientRefLen = 64
	// MaxCallbackURLLen is the longest callback_url, in bytes.
	MaxCallbackURLLen = 2048
	// MaxSrcIDLen is the longest Src_Id (channel src_id + ext).
	MaxSrcIDLen = 21
)

// SendRequest is the body of POST /sms.
type SendRequest struct {
	// To lists destination numbers (1..MaxRecipients entries; normalised,
	// then de-duplicated).
	To []string `json:"to"`
	// Content is the text, split into segments by the server.
	Content string `json:"content"`
	// Channel names the channel (it must reach every recipient's carrier);
	// left out, each recipient is routed by its carrier (routing.Router).
	Channel string `json:"channel,omitempty"`
	// Ext is appended to the channel's Src_Id (digits).
	Ext string `json:"ext,omitempty"`
	// CallbackURL receives sms.status webhooks; default the tenant's.
	CallbackURL string `json:"callback_url,omitempty"`
	// ClientRef is the caller's reference, echoed everywhere.
	ClientRef string `json:"client_ref,omitempty"`
	// Encoding is auto (default), ucs2, gbk or ascii.
	Encoding string `json:"encoding,omitempty"`
	// Priority is high (verification codes), normal (default) or low
	// (bulk): within a tenant's queue of a channel, higher priority is
	// sent first (the store keeps a share for the lower ones).
	Priority string `json:"priority,omitempty"`
}

// SendResponse is the 202 body of POST /sms.
type SendResponse struct {
	// ID is the request id (a UUIDv7: unique, sortable by creation time).
	ID string `json:"id"`
	// Status is always "queued".
	Status string `json:"status"`
	// Channel is the channel the request goes through.
	Channel string `json:"channel"`
	// Recipients is the number of distinct numbers after normalisation.
	Recipients int `json:"recipients"`
	// SegmentsPerRecipient is the number of SUBMITs per number.
	SegmentsPerRecipient int `json:"segments_per_recipient"`
	// TotalSegments is Recipients × SegmentsPerRecipient (billing units).
	TotalSegments int `json:"total_segments"`
	// ClientRef echoes the request's client_ref.
	ClientRef string `json:"client_ref"`
}

// StoreWriteTimeout bounds the Redis work of one POST /sms (idempotency
// record and CreateRequest); it is not cut short by a client disconnect.
const StoreWriteTimeout = 10 * time.Second

// IdempotencyKeyHeader names the header making POST /sms idempotent.
const IdempotencyKeyHeader = "Idempotency-Key"

// IdempotentReplayedHeader is "true" on a replayed response.
const IdempotentReplayedHeader = "Idempotent-Replayed"

// validated is a SendRequest checked and resolved against the config.
type validated struct {
	to      []string
	content string
	// channel is the named channel, else the tenant's default: the one
	// the canonical hash names (so a retry matches whatever the routing
	// picks), and the request's channel until route sets it to the
	// first recipient's.
	channel string
	// channels is the channel of each recipient of to (set by route).
	channels []string
	// named is the channel the body names ("" = routed).
	named string
	// mayUse are the channels a request of the tenant may be on (a pending
	// create is looked for on each, see settlePending).
	mayUse      []string
	ext         string
	callbackURL string
	clientRef   string
	encoding    content.Encoding
	priority    store.Priority
	prioName    string // "" for normal, else "high" or "low"
	msg         content.Message
}

// canonicalHash is the SHA-256 of the resolved request (normalised numbers,
// default channel and callback filled in): two bodies meaning the same
// request have the same hash, whatever their spelling. A normal priority
// adds nothing, so records made before priorities existed still match.
func (v *validated) canonicalHash() string {
	b, _ := json.Marshal(struct { // cannot fail: strings only
		To          []string `json:"to"`
		Content     string   `json:"content"`
		Channel     string   `json:"channel"`
		Ext         string   `json:"ext"`
		CallbackURL string   `json:"callback_url"`
		ClientRef   string   `json:"client_ref"`
		Encoding    string   `json:"encoding"`
		Priority    string   `json:"priority,omitempty"`
	}{v.to, v.content, v.channel, v.ext, v.callbackURL, v.clientRef, string(v.encoding), v.prioName})
	return digest(string(b))
}

// validate checks req for the authenticated tenant, in the order the
// errors are documented. Channels come from the snapshot the tenant was
// authenticated in: the channel must exist, not be deleted, and be one of
// the tenant's.
func (s *Server) validate(a *authed, req *SendRequest) (*validated, *apiError) {
	t := a.tenant
	v := &validated{content: req.Content, ext: req.Ext, clientRef: req.ClientRef}
	// Channel first: a forbidden channel is 403 whatever the rest says.
	v.channel, v.named, v.mayUse = req.Channel, req.Channel, t.Channels
	if v.channel == "" {
		v.channel = t.DefaultChannel()
		if v.channel == "" {
			return nil, errorf(http.StatusForbidden, CodeChannelNotAllowed, "the tenant has no channel")
		}
	}
	if v.named != "" {
		ch, ok := a.snap.Channel(v.named)
		if !ok {
			return nil, errorf(http.StatusUnprocessableEntity, CodeUnknownChannel, fmt.Sprintf("no channel named %q", clip(v.named)))
		}
		if ch.Deleted() {
			return nil, errorf(http.StatusUnprocessableEntity, CodeUnknownChannel, fmt.Sprintf("channel %q was deleted", v.named))
		}
		if !t.Allows(v.named) {
			return nil, errorf(http.StatusForbidden, CodeChannelNotAllowed, fmt.Sprintf("channel %q is not allowed for this API key", v.named))
		}
	}

	if len(req.To) == 0 {
		return nil, errorf(http.StatusUnprocessableEntity, CodeToEmpty, `"to" must list at least one number`)
	}
	if len(req.To) > MaxRecipients { // counted before de-duplication
		return nil, errorf(http.StatusUnprocessableEntity, CodeTooManyRecipients, fmt.Sprintf(`"to" lists %d numbers; at most %d`, len(req.To), MaxRecipients))
	}
	to, bad := normalizeNumbers(req.To)
	if len(bad) > 0 {
		return nil, errorf(http.StatusUnprocessableEntity, CodeInvalidNumber, invalidNumbersMessage(bad))
	}
	v.to = to

	if blankContent(req.Content) {
		return nil, errorf(http.StatusUnprocessableEntity, CodeContentEmpty, `"content" must not be empty or only white space, control or format characters`)
	}
	var e *apiError
	enc, err := content.ParseEncoding(req.Encoding)
	if err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, CodeInvalidEncoding, `"encoding" must be auto, ucs2, gbk or ascii`)
	}
	v.encoding = enc
	if v.priority, v.prioName, e = parsePriority(req.Priority); e != nil {
		return nil, e
	}

	if req.Ext != "" && !msisdn.AllDigits(req.Ext) {
		return nil, errorf(http.StatusUnprocessableEntity, CodeInvalidExt, `"ext" must be digits`)
	}

	v.callbackURL = req.CallbackURL
	if v.callbackURL == "" {
		v.callbackURL = t.CallbackURL
	} else if e = s.checkCallbackURL(t, v.callbackURL); e != nil {
		return nil, e
	}

	if n := utf8.RuneCountInString(req.ClientRef); n > MaxClientRefLen {
		return nil, errorf(http.StatusUnprocessableEntity, CodeInvalidClientRef, fmt.Sprintf(`"client_ref" has %d characters; at most %d`, n, MaxClientRefLen))
	}
	if i := unprintableRef(req.ClientRef); i >= 0 {
		return nil, errorf(http.StatusUnprocessableEntity, CodeInvalidClientRef,
			fmt.Sprintf(`"client_ref" has a control, format or line separator character at index %d`, i))
	}

	msg, err := s.splitter.SplitAs(req.Content, enc)
	if err != nil {
		return nil, contentError(err, s.splitter.Options().MaxSegments)
	}
	v.msg = msg
	return v, nil
}

// contentError maps a content.Splitter error to the API error.
func contentError(err error, maxSegments int) *apiError {
	var ce *content.CharError
	switch {
	case errors.Is(err, content.ErrTooManySegments):
		return errorf(http.StatusUnprocessableEntity, CodeContentTooLong,
			fmt.Sprintf(`"content" needs more than %d segments`, maxSegments))
	case errors.As(err, &ce):
		return errorf(http.StatusUnprocessableEntity, CodeContentNotEncodable,
			fmt.Sprintf(`character %U at index %d of "content" cannot be encoded as %s`, ce.Char, ce.Index, ce.Encoding))
	case errors.Is(err, content.ErrEmptyText):
		return errorf(http.StatusUnprocessableEntity, CodeContentEmpty, `"content" must not be empty`)
	case errors.Is(err, content.ErrInvalidUTF8):
		return errorf(http.StatusUnprocessableEntity, CodeInvalidText, `"content" is not valid UTF-8`)
	}
	return errorf(http.StatusUnprocessableEntity, CodeContentNotEncodable, err.Error())
}

// checkCallbackURL accepts an absolute http(s) URL of at most
// MaxCallbackURLLen bytes, without credentials, that the webhook address
// policy allows for tenant t (see netguard.CheckURL).
func (s *Server) checkCallbackURL(t *registry.Tenant, raw string) *apiError {
	invalid := errorf(http.StatusUnprocessableEntity, CodeInvalidCallbackURL, `"callback_url" must be an absolute http or https URL of at most 2048 bytes`)
	if len(raw) > MaxCallbackURLLen {
		return invalid
	}
	if u, err := url.Parse(raw); err != nil || u.User != nil {
		return invalid
	}
	err := netguard.CheckURL(raw, netguard.Policy{AllowPrivate: s.allowPrivateHooks, Hosts: t.WebhookHosts})
	var fe *netguard.ForbiddenError
	switch {
	case errors.As(err, &fe):
		return errorf(http.StatusUnprocessableEntity, CodeCallbackURLForbidden, `"callback_url" is not allowed: `+clip(fe.Target)+" is "+fe.Reason)
	case err != nil:
		return invalid
	}
	return nil
}

// digest returns the hex SHA-256 of s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// validIdempotencyKey accepts 1..255 visible ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// createSMS handles POST /sms. Order of checks: auth and tenant state
// (middleware) → Idempotency-Key syntax → Content-Type → body size → JSON
// → fields → content split → routing (each recipient's channel by
// carrier, then "ext" on those channels: see route) → idempotency record → tenant limits (rate,
// then daily quota) → store → 202. Nothing is written to Redis before
// every check of the request itself passed.
//
// The limits come after the idempotency record on purpose: a retry of a
// request already accepted is answered from its record (replayed) before
// any limit is consulted, so it is neither refused by the rate limit nor
// charged quota a second time. A request the limits refuse releases its
// fresh reservation, so the client may retry with the same key. A retry
// that finds the first attempt not stored gives back the quota that
// attempt took (see noteQuota), so the request is charged once.
func (s *Server) createSMS(c *gin.Context) {
	a := authOf(c)
	t := a.tenant
	idemKey, hasIdem := c.Request.Header[IdempotencyKeyHeader]
	if hasIdem && (len(idemKey) != 1 || !validIdempotencyKey(idemKey[0])) {
		abort(c, errorf(http.StatusBadRequest, CodeInvalidIdempotencyKey, "Idempotency-Key must be one value of 1..255 visible ASCII characters"))
		return
	}
	var req SendRequest
	if e := readJSON(c, s.maxBody, &req); e != nil {
		abort(c, e)
		return
	}
	v, e := s.validate(a, &req)
	if e != nil {
		abort(c, e)
		return
	}
	if !s.route(c, a, &req, v) {
		return
	}
	l := logOf(c)
	l.channel = v.channel
	l.recipients, l.segments = len(v.to), len(v.msg.Segments)
	if s.log.GetLevel() <= zerolog.DebugLevel { // the closure is only ever called at Debug
		l.debug = func(ev *zerolog.Event) { ev.Strs("to", v.to).Str("content", v.content) }
	}

	// From here on the work must not stop half-way because the client went
	// away: a request stored but not recorded against its Idempotency-Key
	// would be stored twice on retry.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), StoreWriteTimeout)
	defer cancel()
	id, err := uuid.NewV7()
	if err != nil {
		abortInternal(c, err)
		return
	}
	now := s.now()
	local := now.In(a.snap.Location(t))
	_, offset := local.Zone()
	nr := store.NewRequest{
		ID:                id.String(),
		Tenant:            t.Name,
		Channel:           v.channel,
		RecipientChannels: recipientChannels(v),
		Pinned:            v.named != "",
		CallbackURL:       v.callbackURL,
		ClientRef:         v.clientRef,
		MsgFmt:            v.msg.MsgFmt,
		SrcExt:            v.ext,
		Recipients:        v.to,
		Segments:          make([]store.Segment, len(v.msg.Segments)),
		Priority:          v.priority,
		Weight:            t.Weight,
		UTCOffset:         offset,
		CreatedAt:         now,
		Deadline:          s.store.CreateDeadline(),
	}
	for i, sg := range v.msg.Segments {
		nr.Segments[i] = store.Segment{Content: sg.Content, UDHI: sg.UDHI}
	}
	var idem *idemClaim
	if hasIdem {
		// The store keys records by a digest of the client's key, so any
		// visible character is safe in a Redis key name.
		idem = &idemClaim{tenant: t.Name, key: digest(idemKey[0]), hash: v.canonicalHash()}
		if s.claimIdempotency(ctx, c, idem, v, &nr) {
			return
		}
	}
	q, ok := s.admit(ctx, c, t, local, int64(len(v.to)*len(v.msg.Segments)))
	if !ok {
		s.releaseIdem(idem, nr.ID)
		return
	}
	held := s.noteQuota(ctx, idem, nr.ID, q)
	err = s.store.Creates().Create(ctx, nr)
	switch {
	case errors.Is(err, store.ErrOutcomeUnknown):
		// The reservation stays: a retry with the key settles this id.
		// The quota stays taken too: the request may exist. With a key,
		// the retry that settles the id as not stored gives the charge
		// noted on the reservation back (settlePending). Without one,
		// nothing links a retry to this id, so a plain retry is charged
		// again and this charge stays: we cannot know the request does
		// not exist (GET /sms/{id} tells the client).
		abortOutcomeUnknown(c, nr.ID, err)
		return
	case err != nil:
		// Certainly not stored: free the key for an immediate retry, and
		// give the quota back (once: see abandon).
		s.abandon(idem, nr.ID, q, held)
		abortInternal(c, err)
		return
	}
	forChannels(v, func(ch string, recipients int) { s.wake.JobsQueued(ch) })
	_, body := sendResponse(v, nr.ID)
	if idem != nil {
		// The request is durable already; failing to record the response
		// only delays the replay: a retry finds the pending reservation,
		// settles the id and replays it (never creates a second request).
		if err := s.store.CompleteIdempotency(ctx, t.Name, idem.key, idem.hash, http.StatusAccepted, body, nr.ID); err != nil {
			logOf(c).err = fmt.Errorf("idempotency record not completed: %w", err)
		}
	}
	if s.metrics != nil {
		forChannels(v, func(ch string, recipients int) { s.metrics.Accepted(ch, IngressHTTP, recipients*len(v.msg.Segments)) })
	}
	l.smsID = nr.ID
	c.Header("Location", "/sms/"+nr.ID)
	c.Data(http.StatusAccepted, "application/json; charset=utf-8", body)
}
