package api

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/internal/carrier"
	"github.com/smsbridge/smsbridge/internal/msisdn"
	"github.com/smsbridge/smsbridge/store"
)

// Limits of POST /admin/portability.
const (
	// MaxPortabilityLines is the most lines an import may have.
	MaxPortabilityLines = 1_000_000
	// MaxPortabilityBodyBytes bounds an import's body (its own limit:
	// http.max_body_bytes is for JSON bodies).
	MaxPortabilityBodyBytes = 64 << 20
	// portabilityErrorsShown is how many bad lines a 422 names.
	portabilityErrorsShown = 20
	// portabilityChunk is how many entries one store call writes.
	portabilityChunk = 2000
)

// PortabilityImport is the body of a successful POST /admin/portability.
type PortabilityImport struct {
	// Imported is the number of entries written (a number listed twice
	// counts twice; the later line wins).
	Imported int `json:"imported"`
	// Lines is the number of lines read (header and blank lines included).
	Lines int `json:"lines"`
}

// PortabilityEntry is a moved number (GET /admin/portability/{number}).
type PortabilityEntry struct {
	// Number is the normalized 11-digit number.
	Number string `json:"number"`
	// Carrier is its current carrier code.
	Carrier string `json:"carrier"`
}

// PortabilityCount is the body of GET /admin/portability.
type PortabilityCount struct {
	// Count is the number of moved numbers stored.
	Count int64 `json:"count"`
}

// portabilityRoutes adds the moved-number routes to the admin group.
func (s *Server) portabilityRoutes(admin *gin.RouterGroup) {
	admin.GET("/portability", s.countPortability)
	admin.POST("/portability", s.importPortability)
	admin.GET("/portability/:number", s.getPortability)
	admin.DELETE("/portability/:number", s.deletePortability)
}

// packedEntry is one parsed line: the number (< 2^35) shifted left by 3,
// or'ed with its carrier's index in carrier.All. 8 bytes an entry, so a
// full import holds 8 MB, not its text.
type packedEntry uint64

func packEntry(number, code string) packedEntry {
	n, _ := strconv.ParseUint(number, 10, 64)
	for i, c := range carrier.All {
		if c == code {
			return packedEntry(n<<3 | uint64(i))
		}
	}
	panic("api: packEntry of an invalid carrier " + code)
}

func (e packedEntry) unpack() store.PortabilityEntry {
	return store.PortabilityEntry{Number: strconv.FormatUint(uint64(e>>3), 10), Carrier: carrier.All[e&7]}
}

// importPortability handles POST /admin/portability: a text/csv body of
// "number,carrier" lines (optional header "number,carrier", blank lines
// skipped), read as a stream. Every line is checked before anything is
// written: one bad line refuses the whole file (422 invalid_csv naming the
// first bad lines). Then the entries are written in chunks.
func (s *Server) importPortability(c *gin.Context) {
	if e := checkCSVContentType(c.Request); e != nil {
		abort(c, e)
		return
	}
	r := c.Request
	if r.ContentLength > MaxPortabilityBodyBytes {
		closeAfter(c)
		abort(c, tooLarge(MaxPortabilityBodyBytes))
		return
	}
	r.Body = http.MaxBytesReader(c.Writer, r.Body, MaxPortabilityBodyBytes)
	entries, lines, e := readPortabilityCSV(r.Body)
	if e != nil {
		if e.status == http.StatusRequestEntityTooLarge {
			closeAfter(c)
		}
		abort(c, e)
		return
	}
	ctx := c.Request.Context()
	batch := make([]store.PortabilityEntry, 0, portabilityChunk)
	for done := 0; done < len(entries); done += len(batch) {
		batch = batch[:0]
		for _, p := range entries[done:min(done+portabilityChunk, len(entries))] {
			batch = append(batch, p.unpack())
		}
		if err := s.store.PortabilitySet(ctx, batch); err != nil {
			logOf(c).err = err
			msg := fmt.Sprintf("the store failed after %d of %d entries were written (the chunk in progress may be partly written); importing the same file again is safe", done, len(entries))
			if done == 0 {
				msg = "the store failed: nothing or part of the first chunk was written; importing the same file again is safe"
			}
			if isUnavailable(err) {
				abort(c, errorf(http.StatusServiceUnavailable, CodeUnavailable, msg))
			} else {
				abort(c, errorf(http.StatusInternalServerError, CodeInternal, msg))
			}
			return
		}
	}
	s.log.Info().Str("actor", actorOf(c).ID).Int("imported", len(entries)).Int("lines", lines).
		Msg("portability entries imported")
	c.JSON(http.StatusOK, PortabilityImport{Imported: len(entries), Lines: lines})
}

// readPortabilityCSV reads and checks every line of body.
func readPortabilityCSV(body io.Reader) ([]packedEntry, int, *apiError) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 4096), carrier.MaxCSVLine+2) // the line, "\r\n"
	var (
		entries []packedEntry
		bad     []string
		nBad    int
		line    int
	)
	for sc.Scan() {
		line++
		if line > MaxPortabilityLines {
			return nil, line, errorf(http.StatusUnprocessableEntity, CodeInvalidCSV,
				"more than "+strconv.Itoa(MaxPortabilityLines)+" lines; split the file")
		}
		text := sc.Text()
		if strings.TrimSpace(text) == "" || (len(entries) == 0 && nBad == 0 && carrier.IsCSVHeader(text)) {
			continue
		}
		number, code, err := carrier.ParseCSVLine(text)
		if err != nil {
			nBad++
			if len(bad) < portabilityErrorsShown {
				bad = append(bad, "line "+strconv.Itoa(line)+": "+err.Error())
			}
			continue
		}
		if nBad == 0 {
			entries = append(entries, packEntry(number, code))
		}
	}
	if err := sc.Err(); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return nil, line, tooLarge(MaxPortabilityBodyBytes)
		case errors.Is(err, bufio.ErrTooLong):
			bad = append(bad, "line "+strconv.Itoa(line+1)+": longer than "+strconv.Itoa(carrier.MaxCSVLine)+" bytes (the rest of the file was not read)")
			nBad++
		default:
			return nil, line, errorf(http.StatusBadRequest, CodeMalformedCSV, "could not read the body: "+err.Error())
		}
	}
	if nBad > 0 {
		msg := fmt.Sprintf("%d bad line(s), nothing imported: %s", nBad, strings.Join(bad, "; "))
		if nBad > len(bad) {
			msg += fmt.Sprintf("; and %d more", nBad-len(bad))
		}
		return nil, line, errorf(http.StatusUnprocessableEntity, CodeInvalidCSV, msg)
	}
	if len(entries) == 0 {
		return nil, line, errorf(http.StatusUnprocessableEntity, CodeInvalidCSV, "no entries: want lines \"number,carrier\"")
	}
	return entries, line, nil
}

// checkCSVContentType accepts text/csv (charset, if any, utf-8).
func checkCSVContentType(r *http.Request) *apiError {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "text/csv" {
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Content-Type must be text/csv")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "charset must be utf-8")
	}
	return nil
}

// portabilityNumber reads the {number} of the path (any form
// msisdn.Normalize accepts).
func portabilityNumber(c *gin.Context) (string, bool) {
	n, ok := msisdn.Normalize(c.Param("number"))
	if !ok {
		abort(c, errorf(http.StatusUnprocessableEntity, CodeInvalidNumber, "number: not a mainland mobile number (13x-19x, 11 digits)"))
	}
	return n, ok
}

// getPortability handles GET /admin/portability/{number}: the moved
// number's entry, 404 when it has none.
func (s *Server) getPortability(c *gin.Context) {
	n, ok := portabilityNumber(c)
	if !ok {
		return
	}
	got, err := s.store.PortabilityGet(c.Request.Context(), []string{n})
	if err != nil {
		abortInternal(c, err)
		return
	}
	if got[0] == "" {
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no portability entry for this number"))
		return
	}
	c.JSON(http.StatusOK, PortabilityEntry{Number: n, Carrier: got[0]})
}

// deletePortability handles DELETE /admin/portability/{number}: 204, or
// 404 when the number had no entry.
func (s *Server) deletePortability(c *gin.Context) {
	n, ok := portabilityNumber(c)
	if !ok {
		return
	}
	found, err := s.store.PortabilityDelete(c.Request.Context(), n)
	if err != nil {
		abortInternal(c, err)
		return
	}
	if !found {
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no portability entry for this number"))
		return
	}
	s.log.Info().Str("actor", actorOf(c).ID).Msg("portability entry deleted")
	c.Status(http.StatusNoContent)
}

// countPortability handles GET /admin/portability: how many moved numbers
// are stored.
func (s *Server) countPortability(c *gin.Context) {
	n, err := s.store.PortabilityCount(c.Request.Context())
	if err != nil {
		abortInternal(c, err)
		return
	}
	c.JSON(http.StatusOK, PortabilityCount{Count: n})
}
