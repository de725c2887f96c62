package sender

import (
	"bytes"
	"testing"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// The SUBMIT of a job carries the job's own Pk_total/Pk_number,
// ValId_Time and At_Time: for a request a customer submitted over CMPP
// they are the customer's values, sent upstream unchanged.
func TestSubmitForUsesJobFields(t *testing.T) {
	ch, err := NewChannel(Settings{
		Name: "default", Link: cmpp.LinkConfig{Addr: "127.0.0.1:1", SPID: testSP, Secret: testSecret},
		SrcID: testSrc, ServiceID: "TEST", MsgSrc: testSP, FeeType: "01", FeeCode: "000000", FeeUserType: 2,
	}, Deps{Wake: wake.New("default"), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	udh := []byte{5, 0, 3, 9, 4, 2, 0x4f, 0x60}
	cases := []struct {
		name string
		job  store.Job
	}{
		{"cmpp segment with times", store.Job{
			ID: "j1", Dest: "13800138000", Content: udh, UDHI: true, MsgFmt: 8, SrcExt: "77",
			PkTotal: 4, PkNumber: 2, ValidTime: "261207120000032+", AtTime: "261206150000032+",
		}},
		{"http segment without times", store.Job{
			ID: "j2", Dest: "13800138001", Content: []byte("hi"), MsgFmt: 0, PkTotal: 1, PkNumber: 1,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := tc.job
			s := ch.submitFor(j)
			if s.PkTotal != j.PkTotal || s.PkNumber != j.PkNumber {
				t.Errorf("Pk_total/Pk_number %d/%d, want %d/%d", s.PkTotal, s.PkNumber, j.PkTotal, j.PkNumber)
			}
			if s.ValidTime != j.ValidTime || s.AtTime != j.AtTime {
				t.Errorf("ValId_Time %q At_Time %q, want %q %q", s.ValidTime, s.AtTime, j.ValidTime, j.AtTime)
			}
			if wantUDHI := map[bool]uint8{true: 1, false: 0}[j.UDHI]; s.TPUDHI != wantUDHI {
				t.Errorf("TP_udhi %d, want %d", s.TPUDHI, wantUDHI)
			}
			if !bytes.Equal(s.MsgContent, j.Content) || s.MsgFmt != j.MsgFmt {
				t.Errorf("content %x fmt %d, want %x fmt %d", s.MsgContent, s.MsgFmt, j.Content, j.MsgFmt)
			}
			if s.SrcID != testSrc+j.SrcExt || len(s.DestTerminalIDs) != 1 || s.DestTerminalIDs[0] != j.Dest || s.RegisteredDelivery != 1 {
				t.Errorf("addresses/report: %+v", s)
			}
			// The SUBMIT must encode in both versions with these fields.
			for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
				if _, err := cmpp.Append(nil, v, 1, s); err != nil {
					t.Errorf("encode %v: %v", v, err)
				}
			}
		})
	}
}
