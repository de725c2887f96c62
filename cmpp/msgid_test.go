package cmpp

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestMsgIDFieldsRoundTrip(t *testing.T) {
	f := MsgIDFields{Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Gateway: MaxMsgIDGateway, Sequence: 65535}
	m := NewMsgID(f)
	if got := m.Fields(); got != f {
		t.Errorf("Fields = %+v", got)
	}
	if s := m.String(); s != "1231235959419430365535" {
		t.Errorf("String = %q", s)
	}
	// Every bit pattern is representable and the text is lossless.
	for _, u := range []uint64{0, 1, math.MaxUint64, 0x8000000000000000, 0xBB28A30003E90001, 0x0123456789abcdef} {
		m := MsgID(u)
		if NewMsgID(m.Fields()) != m {
			t.Errorf("%#x: fields round trip", u)
		}
		s := m.String()
		if len(s) != 22 {
			t.Errorf("%#x: %q", u, s)
		}
		p, err := ParseMsgID(s)
		if err != nil || p != m {
			t.Errorf("%#x: ParseMsgID(%q) = %#x, %v", u, s, uint64(p), err)
		}
	}
	if s := MsgID(math.MaxUint64).String(); s != "1531316363419430365535" {
		t.Errorf("max = %q", s)
	}
}

func TestParseMsgIDStrict(t *testing.T) {
	for _, s := range []string{
		"",
		"112210101200010010000",   // 21 digits
		"11221010120001001000011", // 23 digits
		"1122101012000100100x01",
		"+122101012000100100001",
		"1622101012000100100001", // month 16
		"1132101012000100100001", // day 32
		"1122321012000100100001", // hour 32
		"1122106412000100100001", // minute 64
		"1122101064000100100001", // second 64
		"1122101012419430400001", // gateway 4194304
		"1122101012000100165536", // sequence 65536
	} {
		if _, err := ParseMsgID(s); !errors.Is(err, ErrBadMsgID) {
			t.Errorf("ParseMsgID(%q) = %v, want ErrBadMsgID", s, err)
		}
	}
}

func TestMsgIDAddSequence(t *testing.T) {
	m := golden123MsgID // seq 1
	if got := m.AddSequence(2).Fields(); got.Sequence != 3 || got.Gateway != 1001 || got.Second != 12 {
		t.Errorf("+2: %+v", got)
	}
	// Wraps in the 16-bit field, never carrying into the gateway code (§4.1).
	top := NewMsgID(MsgIDFields{Month: 11, Day: 22, Gateway: 1001, Sequence: 65534})
	for k, want := range map[int]uint16{0: 65534, 1: 65535, 2: 0, 3: 1, 65536: 65534, -65535: 65535} {
		got := top.AddSequence(k).Fields()
		if got.Sequence != want || got.Gateway != 1001 || got.Month != 11 || got.Day != 22 {
			t.Errorf("AddSequence(%d) = %+v, want seq %d", k, got, want)
		}
	}
}

func TestMsgIDText(t *testing.T) {
	type doc struct {
		ID MsgID `json:"id"`
	}
	b, err := json.Marshal(doc{ID: 0xBB28A30003E90001})
	if err != nil || string(b) != `{"id":"1122101012000100100001"}` {
		t.Fatalf("json: %s %v", b, err)
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil || d.ID != 0xBB28A30003E90001 {
		t.Errorf("unmarshal: %#x %v", uint64(d.ID), err)
	}
	if err := json.Unmarshal([]byte(`{"id":"13486208304621879297"}`), &d); !errors.Is(err, ErrBadMsgID) {
		t.Errorf("decimal form accepted: %v", err)
	}
}
