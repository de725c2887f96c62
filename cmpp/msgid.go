package cmpp

import "fmt"

// MsgID is the 64-bit Msg_Id assigned by the ISMG (PROTOCOL.md §7): month,
// day, hour, minute, second, a 22-bit gateway code and a 16-bit sequence.
// Its one text form everywhere (logs, Redis, the HTTP API) is the 22-digit
// composite returned by String.
//
// Why the 22-digit form (§7 table): the unsigned decimal and the 16 hex
// digits are opaque to operators; the signed decimal turns negative for
// months ≥ 8 and breaks joins with Java systems. The composite
// MMDDHHMMSS+gateway(7)+sequence(5) is what SMSGate and hujm2023 print, is
// readable (time and gateway at a glance), sorts by time within a month,
// and is lossless for every uint64: each field's full bit range fits its
// digits (month 4 bits ≤ 15, day and hour 5 bits ≤ 31, minute and second
// 6 bits ≤ 63, gateway 22 bits ≤ 4194303, sequence ≤ 65535), so
// ParseMsgID(m.String()) == m for any value, even a malformed one.
type MsgID uint64

// MsgIDFields are the fields packed into a MsgID. Values wider than their
// bit field are masked by NewMsgID.
type MsgIDFields struct {
	Month, Day, Hour, Minute, Second uint32 // 4, 5, 5, 6, 6 bits
	Gateway                          uint32 // 22 bits: ISMG code, e.g. 1001
	Sequence                         uint16
}

// Bit layout of a MsgID (§7).
const (
	msgIDMonthShift  = 60
	msgIDDayShift    = 55
	msgIDHourShift   = 50
	msgIDMinuteShift = 44
	msgIDSecondShift = 38
	msgIDGatewayShft = 16

	// MaxMsgIDGateway is the largest gateway code a MsgID can hold (22 bits).
	MaxMsgIDGateway = 1<<22 - 1
)

// NewMsgID packs f into a MsgID, masking each field to its bit width.
func NewMsgID(f MsgIDFields) MsgID {
	return MsgID(uint64(f.Month&0xf)<<msgIDMonthShift |
		uint64(f.Day&0x1f)<<msgIDDayShift |
		uint64(f.Hour&0x1f)<<msgIDHourShift |
		uint64(f.Minute&0x3f)<<msgIDMinuteShift |
		uint64(f.Second&0x3f)<<msgIDSecondShift |
		uint64(f.Gateway&MaxMsgIDGateway)<<msgIDGatewayShft |
		uint64(f.Sequence))
}

// Fields unpacks m.
func (m MsgID) Fields() MsgIDFields {
	u := uint64(m)
	return MsgIDFields{
		Month:    uint32(u>>msgIDMonthShift) & 0xf,
		Day:      uint32(u>>msgIDDayShift) & 0x1f,
		Hour:     uint32(u>>msgIDHourShift) & 0x1f,
		Minute:   uint32(u>>msgIDMinuteShift) & 0x3f,
		Second:   uint32(u>>msgIDSecondShift) & 0x3f,
		Gateway:  uint32(u>>msgIDGatewayShft) & MaxMsgIDGateway,
		Sequence: uint16(u),
	}
}

// msgIDTextLen is the length of the composite text form.
const msgIDTextLen = 22

// appendDigits appends v as exactly n decimal digits (v < 10^n).
func appendDigits(b []byte, v uint32, n int) []byte {
	start := len(b)
	for range n {
		b = append(b, 0)
	}
	for i := len(b) - 1; i >= start; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// AppendText appends the 22-digit composite form of m to b.
func (m MsgID) AppendText(b []byte) ([]byte, error) {
	f := m.Fields()
	b = appendDigits(b, f.Month, 2)
	b = appendDigits(b, f.Day, 2)
	b = appendDigits(b, f.Hour, 2)
	b = appendDigits(b, f.Minute, 2)
	b = appendDigits(b, f.Second, 2)
	b = appendDigits(b, f.Gateway, 7)
	b = appendDigits(b, uint32(f.Sequence), 5)
	return b, nil
}

// String returns the 22-digit composite form MMDDHHMMSS + gateway (7
// digits) + sequence (5 digits), e.g. "1122101012000100100001".
func (m MsgID) String() string {
	b, _ := m.AppendText(make([]byte, 0, msgIDTextLen))
	return string(b)
}

// ParseMsgID parses the 22-digit composite form. It is strict: the text
// must be exactly 22 ASCII digits whose fields fit their bit widths, so
// that ParseMsgID(s).String() == s.
func ParseMsgID(s string) (MsgID, error) {
	if len(s) != msgIDTextLen {
		return 0, fmt.Errorf("%w: %q has %d characters, want %d digits", ErrBadMsgID, s, len(s), msgIDTextLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q is not all digits", ErrBadMsgID, s)
		}
	}
	num := func(from, to int) uint32 {
		var v uint32
		for i := from; i < to; i++ {
			v = v*10 + uint32(s[i]-'0')
		}
		return v
	}
	type part struct {
		name     string
		val, max uint32
	}
	parts := [...]part{
		{"month", num(0, 2), 0xf},
		{"day", num(2, 4), 0x1f},
		{"hour", num(4, 6), 0x1f},
		{"minute", num(6, 8), 0x3f},
		{"second", num(8, 10), 0x3f},
		{"gateway", num(10, 17), MaxMsgIDGateway},
		{"sequence", num(17, 22), 0xffff},
	}
	for _, p := range parts {
		if p.val > p.max {
			return 0, fmt.Errorf("%w: %q: %s %d > %d", ErrBadMsgID, s, p.name, p.val, p.max)
		}
	}
	return NewMsgID(MsgIDFields{
		Month: parts[0].val, Day: parts[1].val, Hour: parts[2].val,
		Minute: parts[3].val, Second: parts[4].val, Gateway: parts[5].val,
		Sequence: uint16(parts[6].val), // ≤ 0xffff checked above
	}), nil
}

// AddSequence returns the Msg_Id of recipient k of a group send whose
// SUBMIT_RESP carried m (§4.1): k is added to the 16-bit sequence field
// modulo 65536; the time and gateway bits never change.
func (m MsgID) AddSequence(k int) MsgID {
	seq := uint16(uint64(m) + uint64(k)) // low 16 bits of seq+k, mod 65536
	return MsgID(uint64(m)&^0xffff | uint64(seq))
}

// MarshalText implements encoding.TextMarshaler with the 22-digit form.
func (m MsgID) MarshalText() ([]byte, error) { return m.AppendText(make([]byte, 0, msgIDTextLen)) }

// UnmarshalText implements encoding.TextUnmarshaler with ParseMsgID.
func (m *MsgID) UnmarshalText(b []byte) error {
	v, err := ParseMsgID(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
