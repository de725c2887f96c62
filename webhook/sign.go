package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SignatureHeader carries the webhook signature.
const SignatureHeader = "X-Smsbridge-Signature"

// Sign returns the X-Smsbridge-Signature value for body sent at t, signed
// with every secret in turn: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>", with one v1 per secret, the current one first. During a
// secret rotation's overlap a tenant has two secrets, so a receiver
// holding either verifies (Verify accepts any v1 that matches).
func Sign(secrets []string, t time.Time, body []byte) string {
	var tsBuf [20]byte
	ts := strconv.AppendInt(tsBuf[:0], t.Unix(), 10)
	var b strings.Builder
	b.Grow(len("t=") + len(ts) + len(secrets)*(len(",v1=")+2*sha256.Size))
	b.WriteString("t=")
	b.Write(ts)
	var hexSum [2 * sha256.Size]byte
	for _, s := range secrets {
		pool := signers.pool(s)
		sg := pool.Get().(*signer)
		sg.ts = append(sg.ts[:0], ts...) // written from sg: a stack slice would escape
		sg.mac.Write(sg.ts)
		sg.mac.Write(dot)
		sg.mac.Write(body)
		hex.Encode(hexSum[:], sg.mac.Sum(sg.sum[:0]))
		sg.mac.Reset() // back to its keyed start
		pool.Put(sg)
		b.WriteString(",v1=")
		b.Write(hexSum[:])
	}
	return b.String()
}

// dot separates the timestamp from the body in the signed text.
var dot = []byte{'.'}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// maxSignerSecrets bounds the secrets signerPool keeps HMAC states for
// (tenants × rotation overlap); past it, the pool starts afresh.
const maxSignerSecrets = 1024

// signers keeps the keyed HMAC states of the secrets in use.
var signers = signerPool{pools: make(map[string]*sync.Pool)}

// signerPool reuses keyed HMAC-SHA256 states per secret: keying one
// (hashing the padded key twice) and allocating it cost more than
// signing a small body, once per POST and secret. A state is Reset to
// its keyed start before it is reused.
type signerPool struct {
	mu    sync.Mutex
	pools map[string]*sync.Pool
}

// signer is a keyed HMAC-SHA256 state with room for its inputs and
// output, which would escape to the heap on every call if they were on
// the signing goroutine's stack (hash.Hash is an interface).
type signer struct {
	mac hash.Hash
	ts  []byte
	sum [sha256.Size]byte
}

// pool returns the pool of signers keyed with secret; one taken from it
// is ready to write, and is Reset before it is put back.
func (p *signerPool) pool(secret string) *sync.Pool {
	p.mu.Lock()
	defer p.mu.Unlock()
	pool := p.pools[secret]
	if pool == nil {
		if len(p.pools) >= maxSignerSecrets {
			clear(p.pools)
		}
		key := []byte(secret)
		pool = &sync.Pool{New: func() any { return &signer{mac: hmac.New(sha256.New, key)} }}
		p.pools[secret] = pool
	}
	return pool
}

// Errors returned by Verify.
var (
	ErrSignatureFormat = errors.New("webhook: malformed signature header")
	ErrSignatureStale  = errors.New("webhook: signature timestamp outside tolerance")
	ErrSignatureBad    = errors.New("webhook: signature mismatch")
)

// Verify checks header against body the way a receiver should: the
// timestamp must lie within tolerance of now (replay protection) and one
// v1 value must equal the HMAC, compared in constant time.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureFormat
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil {
				return ErrSignatureFormat
			}
			sigs = append(sigs, b)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureFormat
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w (%s)", ErrSignatureStale, d)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrSignatureBad
}
