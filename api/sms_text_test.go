package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// refuse posts body as acme and requires status and code, a message
// containing every want, and nothing written to Redis.
func (h *harness) refuse(t *testing.T, body string, status int, code Code, want ...string) ErrorBody {
	t.Helper()
	r := h.post(t, acmeKey, body)
	if r.status != status {
		t.Fatalf("status %d %s, want %d %s", r.status, r.body, status, code)
	}
	e := r.errBody(t)
	if e.Code != code {
		t.Fatalf("code %q (%s), want %q", e.Code, e.Message, code)
	}
	for _, w := range want {
		if !strings.Contains(e.Message, w) {
			t.Fatalf("message %q lacks %q", e.Message, w)
		}
	}
	if keys := h.dataKeys(t); len(keys) != 0 {
		t.Fatalf("refused request wrote to Redis: %v", keys)
	}
	return e
}

// TestPostSMSRefusesInvalidText: encoding/json turns invalid UTF-8 and
// unpaired surrogate escapes into U+FFFD, so they used to be accepted and
// sent to handsets as "�".
func TestPostSMSRefusesInvalidText(t *testing.T) {
	h := newHarness(t)
	const to = `{"to":["13800138000"],`
	for name, tc := range map[string]struct{ body, field string }{
		"invalid byte":             {to + `"content":"ab` + "\xff" + `cd"}`, `"content" is not valid UTF-8`},
		"truncated sequence":       {to + `"content":"` + "\xe4\xb8" + `"}`, `"content" is not valid UTF-8`},
		"overlong encoding":        {to + `"content":"` + "\xc0\xaf" + `"}`, `"content" is not valid UTF-8`},
		"surrogate as UTF-8":       {to + `"content":"` + "\xed\xa0\x80" + `"}`, `"content" is not valid UTF-8`},
		"lone high surrogate":      {to + `"content":"\ud800"}`, `"content" has an unpaired UTF-16 surrogate escape \ud800`},
		"high then other escape":   {to + `"content":"a\uD83D\u0041"}`, `"content" has an unpaired UTF-16 surrogate escape \uD83D`},
		"high then high":           {to + `"content":"\ud83d\ud83d\ude00"}`, `unpaired UTF-16 surrogate escape \ud83d`},
		"lone low surrogate":       {to + `"content":"x\udc00y"}`, `"content" has an unpaired UTF-16 surrogate escape \udc00`},
		"surrogate in a number":    {`{"to":["13800138000","1380013800\udfff"],"content":"hi"}`, `"to[1]" has an unpaired`},
		"invalid byte in a number": {`{"to":["13800138000","13900139000","` + "\xfe" + `"],"content":"hi"}`, `"to[2]" is not valid UTF-8`},
		"surrogate in client_ref":  {to + `"content":"hi","client_ref":"\udbff"}`, `"client_ref" has an unpaired`},
		"invalid byte in ext":      {to + `"content":"hi","ext":"1` + "\x80" + `"}`, `"ext" is not valid UTF-8`},
	} {
		t.Run(name, func(t *testing.T) {
			e := h.refuse(t, tc.body, http.StatusUnprocessableEntity, CodeInvalidText, tc.field)
			if strings.Contains(e.Message, "13800138000") {
				t.Fatalf("message echoes a number: %s", e.Message)
			}
		})
	}
	// A surrogate pair is one character (U+1F600), sent as UCS2.
	got := h.mustAccept(t, acmeKey, to+`"content":"ok \ud83d\ude00","client_ref":"\u8ba2\u5355"}`)
	req, err := h.store.GetRequest(context.Background(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if req.ClientRef != "订单" || got.SegmentsPerRecipient != 1 {
		t.Fatalf("stored %+v", req)
	}
}

// TestPostSMSRefusesDuplicateKeys: encoding/json matches keys without
// regard to case and keeps the last, so "To" silently replaced "to".
func TestPostSMSRefusesDuplicateKeys(t *testing.T) {
	h := newHarness(t)
	for name, tc := range map[string]struct{ body, msg string }{
		"same key":         {`{"to":["13800138000"],"content":"a","to":["13900139000"]}`, `key "to" appears twice`},
		"case":             {`{"to":["13800138000"],"content":"a","To":["13900139000"]}`, `keys "to" and "To" differ only in case`},
		"upper first":      {`{"CONTENT":"a","to":["13800138000"],"content":"b"}`, `keys "CONTENT" and "content"`},
		"escaped spelling": {`{"to":["13800138000"],"content":"a","t\u006f":["13900139000"]}`, `key "to" appears twice`},
		// U+212A KELVIN SIGN folds to k, as encoding/json matches it.
		"kelvin sign": {`{"to":["13800138000"],"content":"a","callback_url":"https://a.example/h","callbac\u212a_url":"https://b.example/h"}`,
			"keys \"callback_url\" and \"callbac\u212a_url\" differ only in case"},
		"empty duplicate": {`{"to":["13800138000"],"content":"a","client_ref":"","client_ref":"x"}`, `key "client_ref" appears twice`},
	} {
		t.Run(name, func(t *testing.T) {
			h.refuse(t, tc.body, http.StatusBadRequest, CodeDuplicateKey, tc.msg)
		})
	}
	if h.pending(t, "cm1") != 0 {
		t.Fatal("something was queued")
	}
}

// TestPostSMSBlankContentIsEmpty: content a handset shows as nothing
// (white space, format characters) used to be sent and billed.
func TestPostSMSBlankContentIsEmpty(t *testing.T) {
	h := newHarness(t)
	for _, c := range []string{
		` `, `\t\r\n`, `\u3000`, `\u200b`, `\ufeff`, `\u200d`, `\u00a0`, `\u2060`, `\u3164`,
		` \u200b\u3000\u200c\ufe0f `, `\u0000`,
	} {
		t.Run(c, func(t *testing.T) {
			h.refuse(t, `{"to":["13800138000"],"content":"`+c+`"}`, http.StatusUnprocessableEntity, CodeContentEmpty, `"content"`)
		})
	}
	// One visible character among them is a text.
	if got := h.mustAccept(t, acmeKey, `{"to":["13800138000"],"content":"\u200b好\u3000"}`); got.TotalSegments != 1 {
		t.Fatalf("%+v", got)
	}
}

// TestPostSMSClientRefRefusesInvisibleCharacters: format characters make
// two references look the same (or reorder a log line).
func TestPostSMSClientRefRefusesInvisibleCharacters(t *testing.T) {
	h := newHarness(t)
	for _, ref := range []string{`a\u0000b`, `a\u007f`, `a\u200bb`, `\u202eabc`, `ab\u2028`, `a\u2029`, `\ufeffa`, `x\u00ady`, `a\u0085`} {
		t.Run(ref, func(t *testing.T) {
			h.refuse(t, `{"to":["13800138000"],"content":"hi","client_ref":"`+ref+`"}`,
				http.StatusUnprocessableEntity, CodeInvalidClientRef, `"client_ref"`, "index")
		})
	}
	if got := h.mustAccept(t, acmeKey, `{"to":["13800138000"],"content":"hi","client_ref":"订单 42/β"}`); got.ClientRef != "订单 42/β" {
		t.Fatalf("%+v", got)
	}
}

// TestPostSMSNumbersEveryBadIndex: only 13x–19x are mobile ranges, and
// the error names every bad entry, not just the first.
func TestPostSMSNumbersEveryBadIndex(t *testing.T) {
	h := newHarness(t)
	body := `{"content":"hi","to":["13800138000","12345678901","+8610012345678","19912345678","11111111111","0086 13800138000","+8617012345678","x"]}`
	e := h.refuse(t, body, http.StatusUnprocessableEntity, CodeInvalidNumber, "to[1], to[2], to[4], to[5], to[7]: not a mainland mobile number")
	for _, leak := range []string{"to[0]", "to[3]", "to[6]", "12345678901", "1380"} {
		if strings.Contains(e.Message, leak) {
			t.Fatalf("message %q names %q", e.Message, leak)
		}
	}
	got := h.mustAccept(t, acmeKey, `{"content":"hi","to":["13000000000","+8614500000000","8616600000000","008619900000000"]}`)
	if got.Recipients != 4 {
		t.Fatalf("%+v", got)
	}
}
