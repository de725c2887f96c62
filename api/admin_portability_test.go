package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/carrier"
)

const csvType = "text/csv; charset=utf-8"

// Moved numbers imported as CSV through the admin API (real HTTP server,
// real Redis) are what the carrier Resolver answers with portability on;
// they can be read, counted and deleted one by one.
func TestAdminPortabilityImport(t *testing.T) {
	h := newHarness(t)
	body := "Number,Carrier\r\n13800138000,cucc\r\n\r\n+8618912345678, CMCC\r\n19200000001,ctcc\r\n19200000001,cbn\r\n"
	r := h.do(t, http.MethodPost, "/admin/portability", adminKey, body, "Content-Type", csvType)
	if r.status != http.StatusOK {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var imp PortabilityImport
	r.json(t, &imp)
	if imp.Imported != 4 || imp.Lines != 6 {
		t.Fatalf("import: %+v, want 4 entries of 6 lines", imp)
	}
	var cnt PortabilityCount
	if r := h.admin(t, http.MethodGet, "/admin/portability", nil); r.status != http.StatusOK {
		t.Fatalf("count: %d %s", r.status, r.body)
	} else if r.json(t, &cnt); cnt.Count != 3 {
		t.Fatalf("count %d, want 3", cnt.Count)
	}
	var e PortabilityEntry
	if r := h.admin(t, http.MethodGet, "/admin/portability/+8613800138000", nil); r.status != http.StatusOK {
		t.Fatalf("get: %d %s", r.status, r.body)
	} else if r.json(t, &e); e != (PortabilityEntry{Number: "13800138000", Carrier: carrier.CUCC}) {
		t.Fatalf("get: %+v", e)
	}

	res, err := carrier.New(carrier.Options{Config: portabilityOn(), Portability: h.store, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := res.Carriers(ctx, []string{"13800138000", "18912345678", "19200000001", "13900000000"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[cucc cmcc cbn cmcc]"; fmt.Sprint(got) != want {
		t.Fatalf("carriers %v, want %s (moved numbers first, the range for the rest)", got, want)
	}

	if r := h.admin(t, http.MethodDelete, "/admin/portability/13800138000", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if r := h.admin(t, m, "/admin/portability/13800138000", nil); r.status != http.StatusNotFound || r.errBody(t).Code != CodeNotFound {
			t.Fatalf("%s after delete: %d %s", m, r.status, r.body)
		}
		if r := h.admin(t, m, "/admin/portability/12345", nil); r.status != http.StatusUnprocessableEntity || r.errBody(t).Code != CodeInvalidNumber {
			t.Fatalf("%s of a bad number: %d %s", m, r.status, r.body)
		}
	}
	if got, _ := res.Carriers(ctx, []string{"13800138000"}); got[0] != carrier.CMCC {
		t.Fatalf("deleted entry still used: %v", got)
	}
	s := loadSpec(t)
	for name, v := range map[string]any{"PortabilityImport": imp, "PortabilityCount": cnt, "PortabilityEntry": e} {
		checkShape(t, s, name, s.Components.Schemas[name], asJSONValue(t, v))
	}
}

func portabilityOn() carrier.Config {
	c := carrier.Config{Portability: true}
	c.FillDefaults()
	return c
}

// A file with a bad line is refused whole: 422 invalid_csv naming the
// first bad lines by number, and none of its good lines written.
func TestAdminPortabilityMalformedRefusedWhole(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	b.WriteString("13800000001,cucc\n13800000002,ctcc\n13800000003,cmcc\n13800000004,unicom\n")
	for i := range 30 {
		fmt.Fprintf(&b, "1380000%04d\n", i) // no carrier
	}
	b.WriteString("13800000005,cbn\n")
	r := h.do(t, http.MethodPost, "/admin/portability", adminKey, b.String(), "Content-Type", "text/csv")
	e := r.errBody(t)
	if r.status != http.StatusUnprocessableEntity || e.Code != CodeInvalidCSV {
		t.Fatalf("malformed file: %d %s", r.status, r.body)
	}
	for _, want := range []string{"31 bad line(s)", "line 4: carrier must be one of", "line 5: want two fields", "line 23:", "and 11 more"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message lacks %q: %s", want, e.Message)
		}
	}
	if strings.Contains(e.Message, "line 24:") || strings.Contains(e.Message, "13800000004") {
		t.Errorf("message names more than 20 lines, or a number: %s", e.Message)
	}
	for _, n := range []string{"13800000001", "13800000005"} {
		if r := h.admin(t, http.MethodGet, "/admin/portability/"+n, nil); r.status != http.StatusNotFound {
			t.Fatalf("good line %s of a refused file was written: %d %s", n, r.status, r.body)
		}
	}
	if len(h.dataKeys(t)) != 0 {
		t.Fatalf("a refused import left keys: %v", h.dataKeys(t))
	}

	for name, tc := range map[string]struct {
		body, ctype string
		status      int
		code        Code
	}{
		"json":      {"13800000001,cucc\n", "application/json", http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
		"latin1":    {"13800000001,cucc\n", "text/csv; charset=latin1", http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
		"empty":     {"number,carrier\n\n", "text/csv", http.StatusUnprocessableEntity, CodeInvalidCSV},
		"long line": {"13800000001,cucc\n" + strings.Repeat("1", 500) + ",cucc\n", "text/csv", http.StatusUnprocessableEntity, CodeInvalidCSV},
		"too many":  {strings.Repeat("\n", MaxPortabilityLines+1), "text/csv", http.StatusUnprocessableEntity, CodeInvalidCSV},
	} {
		r := h.do(t, http.MethodPost, "/admin/portability", adminKey, tc.body, "Content-Type", tc.ctype)
		if r.status != tc.status || r.errBody(t).Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", name, r.status, r.body, tc.status, tc.code)
		}
	}
	if r := h.do(t, http.MethodPost, "/admin/portability", "", "13800000001,cucc\n", "Content-Type", "text/csv"); r.status != http.StatusUnauthorized {
		t.Errorf("without the admin key: %d", r.status)
	}
}

// A large file sent chunked (no Content-Length) is streamed, checked and
// written in several chunks.
func TestAdminPortabilityLargeStreamed(t *testing.T) {
	h := newHarness(t)
	const n = 30_000
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "number,carrier\n")
		for i := range n {
			if _, err := fmt.Fprintf(pw, "150%08d,%s\n", i, carrier.All[i%4]); err != nil {
				return
			}
		}
		_ = pw.Close()
	}()
	r := h.do(t, http.MethodPost, "/admin/portability", adminKey, pr, "Content-Type", "text/csv")
	if r.status != http.StatusOK {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var imp PortabilityImport
	r.json(t, &imp)
	var cnt PortabilityCount
	h.admin(t, http.MethodGet, "/admin/portability", nil).json(t, &cnt)
	if imp.Imported != n || cnt.Count != n {
		t.Fatalf("imported %d, count %d, want %d", imp.Imported, cnt.Count, n)
	}
	var e PortabilityEntry
	h.admin(t, http.MethodGet, "/admin/portability/15000012347", nil).json(t, &e)
	if e.Carrier != carrier.All[12347%4] {
		t.Fatalf("entry 12347: %+v", e)
	}
}
