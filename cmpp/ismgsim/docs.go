package ismgsim

import (
	"fmt"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// AccountDoc is the JSON (admin API) and YAML (config file) form of an
// Account: the version is text ("2.0", "2.1", "3.0", "" = 2.x and 3.0).
type AccountDoc struct {
	SPID             string `json:"sp_id" yaml:"sp_id"`                             // Account.SPID
	Secret           string `json:"secret,omitempty" yaml:"secret"`                 // Account.Secret; "******" in output
	Version          string `json:"version,omitempty" yaml:"version"`               // Account.Version as text (ParseVersion)
	MaxLinks         int    `json:"max_links" yaml:"max_links"`                     // Account.MaxLinks
	MaxSubmitsPerSec int    `json:"max_submits_per_sec" yaml:"max_submits_per_sec"` // Account.MaxSubmitsPerSec
	SrcIDPrefix      string `json:"src_id_prefix" yaml:"src_id_prefix"`             // Account.SrcIDPrefix
	// Links is the number of logged-in links (output of GET /accounts only).
	Links int `json:"links" yaml:"-"`
}

// Account converts the document to an Account.
func (d AccountDoc) Account() (Account, error) {
	v, err := ParseVersion(d.Version)
	if err != nil {
		return Account{}, fmt.Errorf("%w: sp_id %q: %w", ErrInvalidAccount, d.SPID, err)
	}
	a := Account{SPID: d.SPID, Secret: d.Secret, Version: v, MaxLinks: d.MaxLinks,
		MaxSubmitsPerSec: d.MaxSubmitsPerSec, SrcIDPrefix: d.SrcIDPrefix}
	return a, a.validate()
}

// docOf converts an Account to its document with the secret masked.
func docOf(a Account, links int) AccountDoc {
	d := AccountDoc{SPID: a.SPID, MaxLinks: a.MaxLinks, MaxSubmitsPerSec: a.MaxSubmitsPerSec,
		SrcIDPrefix: a.SrcIDPrefix, Links: links}
	if a.Version != 0 {
		d.Version = a.Version.String()
	}
	if a.Secret != "" {
		d.Secret = secretMask
	}
	return d
}

// secretMask replaces secrets in every output.
const secretMask = "******"

// ParseVersion parses "2.0", "2.1", "3.0" (also "20", "0x30", "V30", …)
// into a Version; "", "0" and "any" give 0 (accept 2.x and 3.0).
func ParseVersion(s string) (cmpp.Version, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimPrefix(strings.TrimPrefix(t, "v"), "0x")
	switch t {
	case "", "0", "any", "auto":
		return 0, nil
	case "2.0", "20", "2":
		return cmpp.V20, nil
	case "2.1", "21":
		return cmpp.V21, nil
	case "3.0", "30", "3":
		return cmpp.V30, nil
	}
	return 0, fmt.Errorf("unknown CMPP version %q (want 2.0, 2.1 or 3.0)", s)
}

// FaultsDoc is the JSON form of Faults; durations are Go duration strings
// ("250ms"), "" meaning 0.
type FaultsDoc struct {
	DropResponseRatio float64           `json:"drop_response_ratio"`     // Faults.DropResponseRatio, 0..1
	ResponseDelay     string            `json:"response_delay"`          // Faults.ResponseDelay, e.g. "250ms"
	ForceResult       uint32            `json:"force_result"`            // Faults.ForceResult
	ResultRatio       float64           `json:"result_ratio"`            // Faults.ResultRatio, 0..1
	RatioResult       uint32            `json:"ratio_result"`            // Faults.RatioResult
	NoReportRatio     float64           `json:"no_report_ratio"`         // Faults.NoReportRatio, 0..1
	FailReportRatio   float64           `json:"fail_report_ratio"`       // Faults.FailReportRatio, 0..1
	CloseLinksEvery   string            `json:"close_links_every"`       // Faults.CloseLinksEvery, e.g. "30s"
	ReportBeforeResp  bool              `json:"report_before_resp"`      // Faults.ReportBeforeResp
	StatOverride      map[string]string `json:"stat_override,omitempty"` // Faults.StatOverride: dest → Stat
	Silent            bool              `json:"silent"`                  // Faults.Silent
	FixedMsgID        string            `json:"fixed_msg_id"`            // Faults.FixedMsgID, 22 digits ("0000000000000000000000" = Msg_Id 0); "" = off
}

// Faults validates and converts the document.
func (d FaultsDoc) Faults() (Faults, error) {
	f := Faults{DropResponseRatio: d.DropResponseRatio, ForceResult: d.ForceResult,
		ResultRatio: d.ResultRatio, RatioResult: d.RatioResult, NoReportRatio: d.NoReportRatio,
		FailReportRatio:  d.FailReportRatio,
		ReportBeforeResp: d.ReportBeforeResp, StatOverride: d.StatOverride, Silent: d.Silent}
	for _, r := range []struct {
		key string
		v   float64
	}{{"drop_response_ratio", f.DropResponseRatio}, {"result_ratio", f.ResultRatio},
		{"no_report_ratio", f.NoReportRatio}, {"fail_report_ratio", f.FailReportRatio}} {
		if r.v < 0 || r.v > 1 {
			return Faults{}, fmt.Errorf("%s %v outside 0..1", r.key, r.v)
		}
	}
	var err error
	if f.ResponseDelay, err = parseDuration("response_delay", d.ResponseDelay); err != nil {
		return Faults{}, err
	}
	if f.CloseLinksEvery, err = parseDuration("close_links_every", d.CloseLinksEvery); err != nil {
		return Faults{}, err
	}
	for dest, stat := range f.StatOverride {
		if stat == "" || len(stat) > 7 {
			return Faults{}, fmt.Errorf("stat_override[%q]: stat %q must be 1..7 bytes", dest, stat)
		}
	}
	if t := strings.TrimSpace(d.FixedMsgID); t != "" {
		id, err := cmpp.ParseMsgID(t)
		if err != nil {
			return Faults{}, fmt.Errorf("fixed_msg_id: %w", err)
		}
		f.FixedMsgID = &id
	}
	return f, nil
}

// faultsDocOf converts Faults to its document.
func faultsDocOf(f Faults) FaultsDoc {
	d := FaultsDoc{DropResponseRatio: f.DropResponseRatio, ForceResult: f.ForceResult,
		ResultRatio: f.ResultRatio, RatioResult: f.RatioResult, NoReportRatio: f.NoReportRatio,
		FailReportRatio: f.FailReportRatio, ReportBeforeResp: f.ReportBeforeResp, StatOverride: f.StatOverride, Silent: f.Silent}
	if f.ResponseDelay > 0 {
		d.ResponseDelay = f.ResponseDelay.String()
	}
	if f.CloseLinksEvery > 0 {
		d.CloseLinksEvery = f.CloseLinksEvery.String()
	}
	if f.FixedMsgID != nil {
		d.FixedMsgID = f.FixedMsgID.String()
	}
	return d
}

// parseDuration parses a non-negative duration; "" is 0.
func parseDuration(field, s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s: negative duration %s", field, s)
	}
	return d, nil
}
