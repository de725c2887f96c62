package ismgsim

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// vectorLine is one c2s PDU of an interop vector file.
type vectorLine struct {
	name  string
	frame []byte
	note  string
}

// vectorScenario is the c2s lines of one "=== scenario" block.
type vectorScenario struct {
	title string
	lines []vectorLine
}

// readClientVectors parses a ../testdata/vectors/*-client.txt file.
func readClientVectors(t *testing.T, path string) []vectorScenario {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vectorScenario
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# === scenario") {
			out = append(out, vectorScenario{title: strings.Trim(strings.TrimPrefix(line, "#"), " =")})
			continue
		}
		if !strings.HasPrefix(line, "c2s ") {
			continue
		}
		body, note, _ := strings.Cut(line, "  # ")
		fields := strings.Fields(body)
		if len(fields) != 3 || len(out) == 0 {
			t.Fatalf("%s: bad line %q", path, line)
		}
		b, err := hex.DecodeString(fields[2])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[len(out)-1].lines = append(out[len(out)-1].lines, vectorLine{name: fields[1], frame: b, note: note})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReplayClientVectors replays the PDUs that real SP implementations
// sent (gocmpp, hujm, node, yedamao) against the simulator: each scenario
// on its own connection, checking every answer.
func TestReplayClientVectors(t *testing.T) {
	files, err := filepath.Glob("../testdata/vectors/*-client.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no client vectors: %v", err)
	}
	s := newTestServer(t, Config{ReportDelay: time.Hour})
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			mainLoggedIn := false
			for _, sc := range readClientVectors(t, file) {
				if replayScenario(t, s, sc) && strings.Contains(sc.title, "main session") {
					mainLoggedIn = true
				}
			}
			if !mainLoggedIn {
				t.Fatal("the main session did not log in")
			}
		})
	}
	// Every SUBMIT is accepted but node 3.0's misaligned group send.
	if got := s.Counts()[testSPID]; got.Submits < 50 || got.Rejected != 1 || got.Accepted != got.Submits-1 {
		t.Fatalf("counts %+v", got)
	}
}

// replayScenario replays one scenario and reports whether it logged in.
func replayScenario(t *testing.T, s *Server, sc vectorScenario) bool {
	t.Helper()
	if len(sc.lines) == 0 || sc.lines[0].name != "CONNECT" {
		t.Fatalf("%s: does not start with CONNECT", sc.title)
	}
	_, p, err := cmpp.Decode(sc.lines[0].frame, cmpp.V30)
	if err != nil {
		t.Fatalf("%s: CONNECT: %v", sc.title, err)
	}
	conn := p.(*cmpp.Connect)
	rightSecret := conn.AuthenticatorSource == cmpp.AuthenticatorSource(conn.SourceAddr, testSecret, conn.Timestamp)
	if rightSecret != strings.Contains(sc.lines[0].note, `"888888"`) {
		t.Fatalf("%s: AuthenticatorSource vs note %q", sc.title, sc.lines[0].note)
	}
	c := dialRaw(t, s.Addr(), conn.Version)
	c.sendRaw(sc.lines[0].frame)
	h, p := c.recv()
	resp, ok := p.(*cmpp.ConnectResp)
	if !ok || h.SequenceID != mustHeader(t, sc.lines[0].frame).SequenceID {
		t.Fatalf("%s: got %s seq %d", sc.title, h.CommandID, h.SequenceID)
	}
	if !rightSecret {
		if resp.Status != cmpp.ConnectAuthFailed {
			t.Fatalf("%s: wrong secret got Status %d, want 3", sc.title, resp.Status)
		}
		c.expectClosed()
		return false
	}
	if resp.Status != 0 {
		t.Fatalf("%s: Status %d (Timestamp %d)", sc.title, resp.Status, conn.Timestamp)
	}
	for _, l := range sc.lines[1:] {
		hdr := mustHeader(t, l.frame)
		c.sendRaw(l.frame)
		var want cmpp.CommandID
		switch hdr.CommandID {
		case cmpp.CmdSubmit, cmpp.CmdActiveTest, cmpp.CmdTerminate, cmpp.CmdQuery, cmpp.CmdCancel:
			want = hdr.CommandID.Response()
		default:
			continue // responses to the recorded server's PDUs: nothing comes back
		}
		h, p := c.recv()
		if h.CommandID != want || h.SequenceID != hdr.SequenceID {
			t.Fatalf("%s: %s seq %d answered by %s seq %d", sc.title, l.name, hdr.SequenceID, h.CommandID, h.SequenceID)
		}
		if r, ok := p.(*cmpp.SubmitResp); ok {
			_, sp, err := cmpp.Decode(l.frame, conn.Version)
			if err != nil {
				t.Fatalf("%s: SUBMIT seq %d: %v", sc.title, hdr.SequenceID, err)
			}
			wantResult := uint32(0)
			for _, d := range sp.(*cmpp.Submit).DestTerminalIDs {
				if d == "" { // node 3.0 group send written with a 21-byte stride
					wantResult = cmpp.ResultBadDestTerminal
				}
			}
			if r.Result != wantResult {
				t.Fatalf("%s: SUBMIT seq %d Result %d, want %d", sc.title, hdr.SequenceID, r.Result, wantResult)
			}
		}
		if hdr.CommandID == cmpp.CmdTerminate {
			c.expectClosed()
			return true
		}
	}
	_ = c.conn.Close()
	return true
}

func mustHeader(t *testing.T, frame []byte) cmpp.Header {
	t.Helper()
	h, err := cmpp.DecodeHeader(frame)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
