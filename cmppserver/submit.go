package cmppserver

import (
	"strings"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/msisdn"
	"github.com/smsbridge/smsbridge/registry"
)

// SUBMIT_RESP Result codes smsbridge answers (PROTOCOL.md §4.2). 0..13
// are the spec's; 100..199 is the vendor range.
const (
	resultOK = 0
	// resultStructure: Pk_total/Pk_number, Msg_Fmt, TP_udhi or the UDH,
	// Registered_Delivery, ValId_Time or At_Time is invalid.
	resultStructure = 1
	// resultLength: empty content, or UCS2 content of an odd byte count.
	resultLength = 4
	// resultTooLong: content over 140 octets (159 for Msg_Fmt 0).
	resultTooLong = 6
	// resultFlow: over the account's or the tenant's rate, or the
	// server's SUBMIT queue is full (retry later).
	resultFlow = 8
	// resultSrcID: Src_Id not within the account's service code, or too
	// long once put on the tenant's channel.
	resultSrcID = 10
	// resultDest: no, more than maxSubmitDests, or invalid Dest_terminal_Id.
	resultDest = 13
	// resultBusy: the store failed and nothing was stored; retry.
	resultBusy = 100
	// resultQuota: the tenant's daily segment quota is used up.
	resultQuota = 101
	// resultNoAccess: the account cannot send now (tenant disabled or
	// deleted, CMPP access removed, or the tenant has no usable channel).
	resultNoAccess = 102
)

// maxSubmitDests is the most destinations one SUBMIT may carry. The spec
// says DestUsr_tl < 100; the issue asks for 1..100, so 100 is accepted
// when the codec delivers it.
const maxSubmitDests = 100

// Content limits of one SUBMIT (PROTOCOL.md §8.2), UDH included.
const (
	maxContentASCII = 159 // Msg_Fmt 0: Msg_Length < 160
	maxContent      = 140 // every other format
)

// maxSrcIDLen is the width of Src_Id (OS(21)).
const maxSrcIDLen = 21

// accepted Msg_Fmt values: ASCII, SIM write, binary, UCS2, GBK.
func validMsgFmt(f uint8) bool { return f == 0 || f == 3 || f == 4 || f == 8 || f == 15 }

// checked is a valid SUBMIT resolved for the store.
type checked struct {
	// dests are the normalised destinations, in the customer's order
	// (duplicates kept: recipient k is reported with Msg_Id + k-1).
	dests []string
	// srcID is the customer's Src_Id (the service code when it was
	// empty); srcExt is the extension on the tenant's channel:
	// tenant.MOExt + (srcID minus the service code).
	srcID, srcExt string
	// channel is the tenant's channel.
	channel string
	// validTime and atTime are "" or the 16-character SMPP time.
	validTime, atTime string
	// report is Registered_Delivery 1.
	report bool
}

// checkSubmit validates p from an account of tenant t on snapshot snap
// for a link of version v. It returns the SUBMIT_RESP Result (0 when p
// is valid) and, for a refusal, a reason for the log. The order fixes
// which Result a SUBMIT with several faults gets: structure (1), length
// (4, 6), destinations (13), Src_Id (10).
func checkSubmit(snap *registry.Snapshot, t *registry.Tenant, v cmpp.Version, p *cmpp.Submit) (c checked, result uint32, reason string) {
	acc := t.CMPP
	switch {
	case p.PkTotal < 1 || p.PkNumber < 1 || p.PkNumber > p.PkTotal:
		return c, resultStructure, "Pk_total/Pk_number"
	case !validMsgFmt(p.MsgFmt):
		return c, resultStructure, "Msg_Fmt"
	case p.TPUDHI > 1:
		return c, resultStructure, "TP_udhi"
	case p.RegisteredDelivery > 2 || (p.RegisteredDelivery == 2 && v == cmpp.V30):
		return c, resultStructure, "Registered_Delivery"
	}
	c.report = p.RegisteredDelivery == 1
	var ok bool
	if c.validTime, ok = smppTime(p.ValidTime); !ok {
		return c, resultStructure, "ValId_Time"
	}
	if c.atTime, ok = smppTime(p.AtTime); !ok {
		return c, resultStructure, "At_Time"
	}
	if r, why := checkContent(p); r != resultOK {
		return c, r, why
	}
	if n := len(p.DestTerminalIDs); n < 1 || n > maxSubmitDests {
		return c, resultDest, "DestUsr_tl"
	}
	if p.DestTerminalType != 0 {
		return c, resultDest, "Dest_terminal_type (pseudo numbers are not accepted)"
	}
	c.dests = make([]string, len(p.DestTerminalIDs))
	for i, raw := range p.DestTerminalIDs {
		n, ok := msisdn.Normalize(raw)
		if !ok {
			return c, resultDest, "Dest_terminal_Id"
		}
		c.dests[i] = n
	}
	c.srcID = p.SrcID
	if c.srcID == "" {
		c.srcID = acc.ServiceCode
	}
	if !strings.HasPrefix(c.srcID, acc.ServiceCode) {
		return c, resultSrcID, "Src_Id outside the service code"
	}
	ext := c.srcID[len(acc.ServiceCode):]
	if ext != "" && !msisdn.AllDigits(ext) {
		return c, resultSrcID, "Src_Id extension not digits"
	}
	c.channel = t.DefaultChannel()
	ch, ok := snap.Channel(c.channel)
	if !ok || ch.Deleted() {
		return c, resultNoAccess, "the tenant has no usable channel"
	}
	c.srcExt = t.MOExt + ext
	if len(shortestSrcID(snap, t))+len(c.srcExt) > maxSrcIDLen {
		return c, resultSrcID, "Src_Id too long on the tenant's channel"
	}
	return c, resultOK, ""
}

// shortestSrcID is the shortest service code among t's usable channels:
// a Src_Id too long on it is too long wherever the SUBMIT is routed (the
// commit checks the channel routed to, see route).
func shortestSrcID(snap *registry.Snapshot, t *registry.Tenant) string {
	best, found := "", false
	for _, name := range t.Channels {
		if ch, ok := snap.Channel(name); ok && !ch.Deleted() && (!found || len(ch.SrcID) < len(best)) {
			best, found = ch.SrcID, true
		}
	}
	return best
}

// checkContent checks Msg_Content against Msg_Fmt and TP_udhi. The
// decoder already read exactly Msg_Length bytes.
func checkContent(p *cmpp.Submit) (uint32, string) {
	b := p.MsgContent
	limit := maxContent
	if p.MsgFmt == 0 {
		limit = maxContentASCII
	}
	switch {
	case len(b) == 0:
		return resultLength, "empty Msg_Content"
	case len(b) > limit:
		return resultTooLong, "Msg_Content too long"
	}
	body := len(b)
	if p.TPUDHI == 1 {
		udh := int(b[0]) + 1
		if udh > len(b) {
			return resultStructure, "UDH longer than Msg_Content"
		}
		body -= udh
	}
	if p.MsgFmt == 8 && body%2 != 0 {
		return resultLength, "UCS2 Msg_Content of an odd length"
	}
	return resultOK, ""
}

// smppTime accepts an empty or all-zero time ("" returned: none) or the
// 16-character SMPP time YYMMDDhhmmsstnnp (p '+', '-' or 'R'; nn ≤ 48
// quarter hours; an absolute time with a real month, day, hour, minute
// and second).
func smppTime(s string) (string, bool) {
	if strings.Trim(s, "0") == "" {
		return "", true
	}
	if len(s) != 16 || !msisdn.AllDigits(s[:15]) {
		return "", false
	}
	num := func(i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
	if num(13) > 48 {
		return "", false
	}
	switch s[15] {
	case 'R':
		return s, true
	case '+', '-':
		if m, d := num(2), num(4); m < 1 || m > 12 || d < 1 || d > 31 || num(6) > 23 || num(8) > 59 || num(10) > 59 {
			return "", false
		}
		return s, true
	}
	return "", false
}
