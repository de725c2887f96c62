package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// validateCMPP checks the CMPP fields of r: the origin's account and
// Msg_Id are required, Pk_total/Pk_number come together (1 ≤ number ≤
// total) on a one-segment request, and the SMPP times are empty or 16-17
// characters without '|'.
func (r *NewRequest) validateCMPP() error {
	if r.CMPP != nil {
		o := r.CMPP
		if o.Account == "" || o.MsgID == "" || !cleanID(o.Account) || !cleanID(o.MsgID) {
			return fmt.Errorf("%w: NewRequest.CMPP: account %q / Msg_Id %q empty or with '|'", ErrInvalid, o.Account, o.MsgID)
		}
	}
	if r.PkTotal != 0 || r.PkNumber != 0 {
		if r.PkNumber < 1 || r.PkNumber > r.PkTotal || len(r.Segments) != 1 {
			return fmt.Errorf("%w: NewRequest.PkTotal/PkNumber %d/%d: want 1 ≤ number ≤ total on one segment", ErrInvalid, r.PkTotal, r.PkNumber)
		}
	}
	for _, t := range []string{r.ValidTime, r.AtTime} {
		if t != "" && (len(t) > 17 || strings.IndexByte(t, '|') >= 0) {
			return fmt.Errorf("%w: NewRequest.ValidTime/AtTime %q: want at most 17 characters, no '|'", ErrInvalid, t)
		}
	}
	return nil
}

// cmppMeta appends the CMPP meta fields of r (lua/lib.lua header) to
// meta: none at all for a request without CMPP fields, so an HTTP
// request's hash is as before.
func (r *NewRequest) cmppMeta(meta []any) []any {
	if o := r.CMPP; o != nil {
		meta = append(meta, schema.FieldOrigin, encodeOrigin(o))
		if o.Report {
			meta = append(meta, schema.FieldReportTo, o.Account)
		}
	}
	if r.PkTotal != 0 {
		meta = append(meta, schema.FieldPkTotal, strconv.Itoa(int(r.PkTotal)),
			schema.FieldPkNumber, strconv.Itoa(int(r.PkNumber)))
	}
	if r.ValidTime != "" {
		meta = append(meta, schema.FieldValidTime, r.ValidTime)
	}
	if r.AtTime != "" {
		meta = append(meta, schema.FieldAtTime, r.AtTime)
	}
	return meta
}

// encodeOrigin encodes o as the "cm" meta field: the report flag ("0" or
// "1"), then account, Msg_Id, Src_Id and Service_Id each as
// "<length>:<bytes>", so that any byte may occur in them. The report
// entries carry it verbatim as their last field.
func encodeOrigin(o *CMPPOrigin) string {
	var b strings.Builder
	b.WriteString(boolFlag(o.Report))
	appendLV(&b, o.Account, o.MsgID, o.SrcID, o.ServiceID)
	return b.String()
}

// appendLV appends each of fs as "<length>:<bytes>".
func appendLV(b *strings.Builder, fs ...string) {
	for _, f := range fs {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
}

// splitLV splits n values written by appendLV, which must be all of v.
func splitLV(v string, n int) ([]string, error) {
	fs := make([]string, n)
	for i := range fs {
		c := strings.IndexByte(v, ':')
		if c < 0 {
			return nil, fmt.Errorf("%w: value %d of %d missing", ErrBadReply, i+1, n)
		}
		l, err := strconv.Atoi(v[:c])
		if err != nil || l < 0 || l > len(v)-c-1 {
			return nil, fmt.Errorf("%w: value %d of %d: bad length %q", ErrBadReply, i+1, n, v[:c])
		}
		fs[i] = v[c+1 : c+1+l]
		v = v[c+1+l:]
	}
	if v != "" {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadReply, len(v))
	}
	return fs, nil
}

// decodeOrigin is the inverse of encodeOrigin.
func decodeOrigin(v string) (*CMPPOrigin, error) {
	if v == "" || (v[0] != '0' && v[0] != '1') {
		return nil, fmt.Errorf("%w: CMPP origin %q", ErrBadReply, v)
	}
	o := &CMPPOrigin{Report: v[0] == '1'}
	fs, err := splitLV(v[1:], 4)
	if err != nil {
		return nil, fmt.Errorf("CMPP origin %q: %w", v, err)
	}
	o.Account, o.MsgID, o.SrcID, o.ServiceID = fs[0], fs[1], fs[2], fs[3]
	return o, nil
}
