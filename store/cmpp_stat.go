package store

import (
	"fmt"
	"strconv"
	"strings"
)

// CMPP Stat values of outcomes that are not an operator's report (see
// CMPPStat).
const (
	// CMPPStatDelivered: the operator reported DELIVRD.
	CMPPStatDelivered = "DELIVRD"
	// CMPPStatUnknown: the outcome is unknown (report timeout, no
	// SUBMIT_RESP, worker lost, Msg_Id collision).
	CMPPStatUnknown = "UNKNOWN"
	// CMPPStatCancelled: cancelled before it was sent (or CMPP_CANCEL).
	CMPPStatCancelled = "CANCELD"
	// CMPPStatUndeliverable: failed for a local reason (e.g. an invalid
	// SUBMIT, its channel removed).
	CMPPStatUndeliverable = "UNDELIV"
)

// CMPPStat is the Stat of the report DELIVER of a final recipient: the one
// mapping from an outcome to the 7-character Stat (README's table):
//   - delivered: DELIVRD;
//   - failed by the operator's report: that report's Stat verbatim
//     (errCode equals reportStat then);
//   - failed by SUBMIT_RESP Result n (errCode "submit_result_n"):
//     "RS:" and n in 4 digits (RS:0013);
//   - failed otherwise: UNDELIV;
//   - unknown: UNKNOWN; cancelled: CANCELD.
//
// The result is at most 7 bytes (a longer operator Stat is cut).
func CMPPStat(state JobState, errCode, reportStat string) string {
	switch state {
	case JobDelivered:
		return CMPPStatDelivered
	case JobUnknown:
		return CMPPStatUnknown
	case JobCancelled:
		return CMPPStatCancelled
	case JobFailed:
		if n, ok := strings.CutPrefix(errCode, "submit_result_"); ok {
			if v, err := strconv.ParseUint(n, 10, 32); err == nil {
				return fmt.Sprintf("RS:%04d", v%10000)
			}
		}
		if reportStat != "" && errCode == reportStat {
			if len(reportStat) > 7 {
				return reportStat[:7]
			}
			return reportStat
		}
	}
	return CMPPStatUndeliverable
}
