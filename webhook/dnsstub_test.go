package webhook

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
)

// dnsStub is a tiny DNS server on 127.0.0.1 answering every A question
// with one address (and every other question with no answer), so tests can
// make a name resolve to loopback without any real DNS server.
type dnsStub struct {
	conn    *net.UDPConn
	answer  netip.Addr
	queries atomic.Int64
}

func newDNSStub(t testing.TB, answer netip.Addr) *dnsStub {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsStub{conn: conn, answer: answer}
	done := make(chan struct{})
	go func() { defer close(done); s.serve() }()
	t.Cleanup(func() { conn.Close(); <-done })
	return s
}

// resolver returns a pure-Go resolver that sends every query to s.
func (s *dnsStub) resolver() *net.Resolver {
	addr := s.conn.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "udp", addr)
		},
	}
}

func (s *dnsStub) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDP(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		if resp := s.reply(buf[:n]); resp != nil {
			s.queries.Add(1)
			_, _ = s.conn.WriteToUDP(resp, from)
		}
	}
}

// reply builds the answer to query q (nil when q is not a query with one
// question).
func (s *dnsStub) reply(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// The question: labels up to a zero byte, then type and class.
	end := 12
	for end < len(q) && q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5
	if end > len(q) {
		return nil
	}
	question := q[12:end]
	qtype := binary.BigEndian.Uint16(q[end-4:])
	answers := uint16(0)
	if qtype == 1 && s.answer.Is4() {
		answers = 1
	}
	out := make([]byte, 12, 12+len(question)+16)
	copy(out, q[:2])                            // id
	binary.BigEndian.PutUint16(out[2:], 0x8180) // response, recursion desired and available, NOERROR
	binary.BigEndian.PutUint16(out[4:], 1)      // one question
	binary.BigEndian.PutUint16(out[6:], answers)
	out = append(out, question...)
	if answers == 1 {
		a := s.answer.As4()
		out = append(out, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4) // name → the question's, A, IN, TTL 60, 4 bytes
		out = append(out, a[:]...)
	}
	return out
}
