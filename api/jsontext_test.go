package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckJSONText(t *testing.T) {
	many := func(extra string) string {
		var b strings.Builder
		b.WriteString(`{"o":{`)
		for i := range 40 {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		b.WriteString(extra + `:0}}`)
		return b.String()
	}
	for _, tc := range []struct {
		body string
		code Code   // "" when accepted
		msg  string // part of the message
	}{
		{`{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}`, "", ""},                         // same key in other objects
		{`{"a":"\\ud800 is text","b":"\ud83d\ude00","c":"\u00e9\u4e2d","d":"é中😀"}`, "", ""}, // escaped backslash, pair, BMP
		{`{"a":[1,"x",{"b":"\"}\"{"}],"c":true,"d":null,"e":-1.5e3}`, "", ""},
		{many(`"K40"`), "", ""},
		{many(`"K7"`), CodeDuplicateKey, `keys "k7" and "K7"`}, // beyond the pairwise part: the folded map
		{many(`"k39"`), CodeDuplicateKey, `key "k39" appears twice`},
		{`{"a":{"x":1,"b":[{"y":1,"Y":2}]}}`, CodeDuplicateKey, `"y" and "Y"`},
		{`{"a":{"b":[0,{"c":"` + "\xff" + `"}]}}`, CodeInvalidText, `"a.b[1].c" is not valid UTF-8 (byte 19)`},
		{`{"a":[["x","\udc00"]]}`, CodeInvalidText, `"a[0][1]" has an unpaired UTF-16 surrogate escape \udc00 (byte 12)`},
		{`{"a":1,"\ud800":2}`, CodeInvalidText, `a key of "body" has an unpaired`},
		// Not JSON (encoding/json refuses it first): no panic at the end.
		{`{"a":"\ud800\`, CodeInvalidText, "unpaired"},
		{`{"a":"\ud8`, "", ""},
		{`{"a":"x\`, "", ""},
		{`{"a":"` + "\xe4", CodeInvalidText, "not valid UTF-8"},
	} {
		e := checkJSONText([]byte(tc.body))
		switch {
		case tc.code == "" && e != nil:
			t.Errorf("%.60s: %v, want accepted", tc.body, e)
		case tc.code != "" && (e == nil || e.code != tc.code || !strings.Contains(e.msg, tc.msg)):
			t.Errorf("%.60s: %v, want %s with %q", tc.body, e, tc.code, tc.msg)
		}
	}
}

// The path naming a bad string is clipped: 5,000 nested arrays made a
// 15 KB error message out of a 10 KB body.
func TestCheckJSONTextDeepPathClipped(t *testing.T) {
	const depth = 5000
	body := `{"a":` + strings.Repeat("[", depth) + `"\ud800"` + strings.Repeat("]", depth) + `}`
	e := checkJSONText([]byte(body))
	if e == nil || e.code != CodeInvalidText || !strings.Contains(e.msg, `"a[0][0]`) {
		t.Fatalf("deep bad escape: %v, want %s naming a[0][0]…", e, CodeInvalidText)
	}
	if len(e.msg) > 2*MaxEchoBytes+100 {
		t.Fatalf("message of %d bytes echoes the whole path: %.120s…", len(e.msg), e.msg)
	}
}

func TestFoldKey(t *testing.T) {
	for _, p := range [][2]string{{"To", "tO"}, {"callbac\u212a_url", "CALLBACK_URL"}, {"ſ", "S"}, {"Σσς", "σΣΣ"}} {
		if foldKey([]byte(p[0])) != foldKey([]byte(p[1])) {
			t.Errorf("foldKey(%q) != foldKey(%q)", p[0], p[1])
		}
	}
	if foldKey([]byte("to")) == foldKey([]byte("t0")) {
		t.Error("to and t0 fold alike")
	}
}

// FuzzCheckJSONText checks checkJSONText against what it guards:
// encoding/json puts U+FFFD in a decoded string exactly when the raw
// string is invalid UTF-8 or has an unpaired surrogate escape (or held
// U+FFFD already).
func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{
		`{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, `{"a":["x","\udc00y"]}`, `{"a":"\\ud800"}`,
		`{"a":"` + "\xff" + `"}`, `{"a":"` + "\xed\xa0\x80" + `"}`, `{"k":1,"K":2}`, `{"a":{"b":"\u00e9"}}`,
		`["\ufffd"]`, `"\uD800\uDC00"`, `{"a":"中文\ud800\u4e2d"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		e := checkJSONText(raw)
		if e != nil && e.code == CodeDuplicateKey {
			return // stopped before the later strings
		}
		replaced := false
		dec := json.NewDecoder(bytes.NewReader(raw))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if s, ok := tok.(string); ok && strings.ContainsRune(s, utf8.RuneError) {
				replaced = true
			}
		}
		had := bytes.Contains(raw, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`))
		switch {
		case e != nil && e.code == CodeInvalidText && !replaced:
			t.Fatalf("%q: %v, but encoding/json decodes it without U+FFFD", raw, e)
		case e == nil && replaced && !had:
			t.Fatalf("%q: accepted, but encoding/json decodes U+FFFD into it", raw)
		case e != nil && e.code != CodeInvalidText:
			t.Fatalf("%q: unexpected %v", raw, e)
		}
	})
}
