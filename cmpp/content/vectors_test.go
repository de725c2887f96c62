package content

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorSubmit is the content-related part of a CMPP 2.0 SUBMIT taken from
// an interop vector file.
type vectorSubmit struct {
	TPUDHI  uint8
	MsgFmt  uint8
	SrcID   string
	Dest    string // first Dest_terminal_Id
	Content []byte
}

// readVectorSubmits returns every c2s SUBMIT of a CMPP 2.0 vector file in
// ../testdata/vectors, decoded with the 2.0 offsets of PROTOCOL.md §4.1
// (TP_udhi 57, Msg_Fmt 58, Src_Id 107, DestUsr_tl 128, Dest_terminal_Id
// 129 + 21·k, Msg_Length 129+21n, Msg_Content 130+21n).
func readVectorSubmits(t *testing.T, name string) []vectorSubmit {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vectorSubmit
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[0] != "c2s" || fields[1] != "SUBMIT" {
			continue
		}
		pdu, err := hex.DecodeString(fields[2])
		if err != nil {
			t.Fatalf("%s: bad hex: %v", name, err)
		}
		if len(pdu) < 130 {
			t.Fatalf("%s: SUBMIT of %d bytes", name, len(pdu))
		}
		n := int(pdu[128])
		lenOff := 129 + 21*n
		if lenOff >= len(pdu) || lenOff+1+int(pdu[lenOff]) > len(pdu) {
			t.Fatalf("%s: SUBMIT Msg_Length out of range", name)
		}
		out = append(out, vectorSubmit{
			TPUDHI:  pdu[57],
			MsgFmt:  pdu[58],
			SrcID:   octetString(pdu[107:128]),
			Dest:    octetString(pdu[129:150]),
			Content: pdu[lenOff+1 : lenOff+1+int(pdu[lenOff])],
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// octetString applies the §10 decoding rule: bytes before the first NUL.
func octetString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// asMO turns a captured SUBMIT into the MO part a handset would send back:
// the recipient becomes the sender.
func (v vectorSubmit) asMO() Part {
	return Part{Sender: v.Dest, Receiver: v.SrcID, MsgFmt: v.MsgFmt, UDHI: HasUDHI(v.TPUDHI), Content: v.Content}
}
