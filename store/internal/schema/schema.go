// Package schema is the one definition of the Redis layout that store's Go
// code and its Lua scripts share: the fields of a job state, the job state
// letters, the request hash's field names and the usage counter fields.
//
// Go code uses the constants below; the Lua scripts use the names of
// store/lua/schema.lua, which Lua renders from the tables below (run
// `go generate ./store/` after a change; a store test fails while the
// file is stale) and the store inlines when it loads a script.
package schema

// Positions (0-based, Go) of the "|"-separated fields of a job state, the
// value of request field "j:<r>:<s>". Lua's J_* locals are these plus 1.
const (
	JobState       = iota // state letter (StateQueued ...)
	JobAttempts           // number of leases
	JobMsgID              // ISMG Msg_Id of the last SUBMIT_RESP Result 0
	JobResult             // SUBMIT_RESP Result ("" before one)
	JobStat               // last report Stat
	JobSubmittedAt        // ms of the SUBMIT outcome
	JobReportedAt         // ms of the last report
	JobError              // error code (failed, unknown, cancelled, retried)
	JobOwner              // lease owner (state leased)
	JobDoneTime           // report Done_time text
	// JobFields is the number of fields of a job state.
	JobFields
)

// Positions (0-based, Go) of the "|"-separated fields of a CMPP report
// entry's payload (lua/lib.lua cmpp_report writes it, store's
// decodeCMPPEntry reads it). Lua's CR_* locals are these plus 1. The
// origin is last: it may hold any byte, "|" included.
const (
	CMPPKind        = iota // CMPPEntryReport
	CMPPEnqueuedAt         // ms the entry was queued
	CMPPState              // the recipient's final state letter
	CMPPError              // its error code
	CMPPStat               // report Stat of segment 1
	CMPPSubmittedAt        // submitted_at (ms) of segment 1
	CMPPDoneTime           // report Done_time text of segment 1
	CMPPReportedAt         // reported_at (ms) of segment 1
	CMPPTerminal           // recipient number
	CMPPRecipient          // recipient index r
	CMPPOrigin             // request field FieldOrigin
	// CMPPReportFields is the number of fields of a report entry.
	CMPPReportFields
)

// Kinds of CMPP entry payloads (their first field).
const (
	CMPPEntryReport = "R" // a status report (CMPP* positions)
	CMPPEntryMO     = "M" // an MO (store.encodeMO)
)

// Job state letters (field JobState). Delivered, failed, unknown and
// cancelled are final; the final letters are also usage counter fields.
const (
	StateQueued    = "q"
	StateLeased    = "l"
	StateScheduled = "w"
	StateSubmitted = "s"
	StateDelivered = "d"
	StateFailed    = "f"
	StateUnknown   = "u"
	StateCancelled = "c"
	// StateMoved: the job's recipient was handed to another channel's copy
	// of the request (a part, see store/parts.go); here it is dead, never
	// leased, cancelled or counted.
	StateMoved = "m"
)

// UsageAccepted is the usage counter of accepted segments; the other usage
// fields are the state letters s, d, f, u and c.
const UsageAccepted = "a"

// Request hash field names. The ones ending in ':' are prefixes: the
// field is the prefix followed by a recipient index r, a segment index s
// or "r:s".
const (
	// Meta written at create (CreateRequest, create.lua).
	FieldRecipients = "R"       // R, number of recipients
	FieldSegments   = "S"       // S, number of segments
	FieldTenant     = "tenant"  // tenant name
	FieldChannel    = "channel" // channel name
	FieldCallback   = "cb"      // callback URL ("" = none)
	FieldClientRef  = "ref"     // client reference
	FieldMsgFmt     = "fmt"     // Msg_Fmt
	FieldSrcExt     = "ext"     // source number extension
	FieldPinned     = "pin"     // "1": the request named its channel (failover leaves it there)
	FieldCreatedAt  = "ca"      // creation time (ms)
	FieldWeight     = "w"       // fair-queue weight (1..100)
	FieldPriority   = "pr"      // priority code h, n or l
	FieldUTCOffset  = "tz"      // tenant's UTC offset (s): the usage day
	FieldToken      = "tok"     // create token (a retried create is a success)
	FieldTo         = "to:"     // to:<r> recipient number
	FieldSeg        = "seg:"    // seg:<s> segment bytes
	FieldUDHI       = "udhi:"   // udhi:<s> TP_udhi flag "0"/"1"
	// CMPP meta (a request submitted over a customer's CMPP link).
	FieldOrigin    = "cm" // CMPP origin (store.encodeOrigin)
	FieldReportTo  = "cq" // CMPP account that asked for reports
	FieldPkTotal   = "pt" // customer's Pk_total
	FieldPkNumber  = "pn" // customer's Pk_number
	FieldValidTime = "vt" // ValId_Time
	FieldAtTime    = "at" // At_Time
	// Job states and rollup.
	FieldJob           = "j:"          // j:<r>:<s> job state (Job* positions)
	FieldRecovered     = "rc:"         // rc:<r>:<s> expired leases of the job recovered
	FieldRecipientDone = "rs:"         // rs:<r> "<status>|<error>" once recipient r is final
	FieldFinalSegs     = "rf:"         // rf:<r> final segments of recipient r (S > 1)
	FieldStartedAt     = "st"          // first lease time (ms)
	FieldCancelledAt   = "cx"          // CancelRequest time (ms)
	FieldFinishedAt    = "fin"         // time the request became final (ms)
	FieldSubmitOver    = "nsub"        // jobs whose submit phase is over
	FieldFinals        = "rfin"        // final recipients
	FieldCountPrefix   = "n_"          // n_<status>: final recipients by status
	FieldDelivered     = "n_delivered" // final recipients delivered
	FieldFailed        = "n_failed"    // final recipients failed
	FieldUnknown       = "n_unknown"   // final recipients unknown
	FieldCancelled     = "n_cancelled" // final recipients cancelled
	// Channel moves (store.MoveQueued).
	FieldMovingTo  = "mv"     // target channel while the request moves away
	FieldMovedFrom = "mvfrom" // source channel of a moved request
	// Parts: a request whose recipients are on several channels (store/parts.go).
	FieldHome      = "ph"  // home channel; set in every hash whose indexes are remapped (then "ri" is set)
	FieldOrigIndex = "ri"  // original (public) recipient index of each local recipient, comma-separated
	FieldParts     = "pc"  // channels this hash handed recipients to, comma-separated
	FieldPending   = "px"  // transfers not finished yet: transfer ids, comma-separated
	FieldXTarget   = "xt:" // xt:<xid> target channel of a transfer
	FieldXRecips   = "xr:" // xr:<xid> local recipient indexes of a transfer, comma-separated
	FieldXApplied  = "xa:" // xa:<xid> transfer applied to this hash (part_in.lua ran)
	FieldMaybeSent = "uw:" // uw:<r>:<s> a SUBMIT of the job may have been written without a definite answer
)

// Const is one constant of store/lua/schema.lua.
type Const struct {
	// Lua is the name of the Lua local.
	Lua string
	// Value is the Go value: an int (a field position, 0-based; Lua gets
	// it plus 1), a Count (Lua gets it as is) or a string.
	Value any
	// Doc is the comment after it ("" for none; the Go constants above
	// are documented).
	Doc string
}

// Count is a number of fields (not a position).
type Count int

// Group is a commented block of constants.
type Group struct {
	// Doc heads the block.
	Doc string
	// Consts are the block's constants, in order.
	Consts []Const
}

// Tables are the constants of store/lua/schema.lua, in order. Every
// constant above is in them (TestTablesComplete).
var Tables = []Group{
	{"Job state: positions of the \"|\"-separated fields of request field \"j:<r>:<s>\".", []Const{
		{"J_STATE", JobState, "state letter (JS_*)"},
		{"J_ATT", JobAttempts, "number of leases"},
		{"J_MSGID", JobMsgID, "Msg_Id of the last SUBMIT_RESP Result 0"},
		{"J_RESULT", JobResult, "SUBMIT_RESP Result"},
		{"J_STAT", JobStat, "last report Stat"},
		{"J_SUBAT", JobSubmittedAt, "submitted_at (ms)"},
		{"J_REPAT", JobReportedAt, "reported_at (ms)"},
		{"J_ERR", JobError, "error code"},
		{"J_OWNER", JobOwner, "lease owner"},
		{"J_DONE", JobDoneTime, "report Done_time"},
		{"J_N", Count(JobFields), "fields of a job state"},
	}},
	{"CMPP report entry payload: positions of its \"|\"-separated fields.", []Const{
		{"CR_KIND", CMPPKind, "CE_REPORT"},
		{"CR_ENQ", CMPPEnqueuedAt, "enqueued (ms)"},
		{"CR_STATE", CMPPState, "final state letter"},
		{"CR_ERR", CMPPError, "error code"},
		{"CR_STAT", CMPPStat, "report Stat"},
		{"CR_SUBAT", CMPPSubmittedAt, "submitted_at (ms)"},
		{"CR_DONE", CMPPDoneTime, "report Done_time"},
		{"CR_REPAT", CMPPReportedAt, "reported_at (ms)"},
		{"CR_TO", CMPPTerminal, "recipient number"},
		{"CR_R", CMPPRecipient, "recipient index"},
		{"CR_ORIGIN", CMPPOrigin, "request field cm (last: any byte)"},
		{"CR_N", Count(CMPPReportFields), "fields of a report entry"},
		{"CE_REPORT", CMPPEntryReport, "entry kind: report"},
		{"CE_MO", CMPPEntryMO, "entry kind: MO (Go-encoded)"},
	}},
	{"Job state letters (field J_STATE); d f u c are final. Usage counter fields: 'a' and s d f u c.", []Const{
		{"JS_QUEUED", StateQueued, ""},
		{"JS_LEASED", StateLeased, ""},
		{"JS_SCHEDULED", StateScheduled, ""},
		{"JS_SUBMITTED", StateSubmitted, ""},
		{"JS_DELIVERED", StateDelivered, ""},
		{"JS_FAILED", StateFailed, ""},
		{"JS_UNKNOWN", StateUnknown, ""},
		{"JS_CANCELLED", StateCancelled, ""},
		{"JS_MOVED", StateMoved, "handed to another channel's part: dead here"},
		{"U_ACCEPTED", UsageAccepted, "usage: accepted segments"},
	}},
	{"Request hash fields; those ending in ':' are prefixes (+ r, s or r:s).", []Const{
		{"F_R", FieldRecipients, ""},
		{"F_S", FieldSegments, ""},
		{"F_TENANT", FieldTenant, ""},
		{"F_CHANNEL", FieldChannel, ""},
		{"F_CB", FieldCallback, ""},
		{"F_REF", FieldClientRef, ""},
		{"F_FMT", FieldMsgFmt, ""},
		{"F_EXT", FieldSrcExt, ""},
		{"F_PIN", FieldPinned, ""},
		{"F_CA", FieldCreatedAt, ""},
		{"F_W", FieldWeight, ""},
		{"F_PR", FieldPriority, ""},
		{"F_TZ", FieldUTCOffset, ""},
		{"F_TOK", FieldToken, ""},
		{"F_TO", FieldTo, ""},
		{"F_SEG", FieldSeg, ""},
		{"F_UDHI", FieldUDHI, ""},
		{"F_CM", FieldOrigin, ""},
		{"F_CQ", FieldReportTo, ""},
		{"F_PT", FieldPkTotal, ""},
		{"F_PN", FieldPkNumber, ""},
		{"F_VT", FieldValidTime, ""},
		{"F_AT", FieldAtTime, ""},
		{"F_JOB", FieldJob, ""},
		{"F_RC", FieldRecovered, ""},
		{"F_RS", FieldRecipientDone, ""},
		{"F_RF", FieldFinalSegs, ""},
		{"F_ST", FieldStartedAt, ""},
		{"F_CX", FieldCancelledAt, ""},
		{"F_FIN", FieldFinishedAt, ""},
		{"F_NSUB", FieldSubmitOver, ""},
		{"F_RFIN", FieldFinals, ""},
		{"F_N", FieldCountPrefix, ""},
		{"F_N_DELIVERED", FieldDelivered, ""},
		{"F_N_FAILED", FieldFailed, ""},
		{"F_N_UNKNOWN", FieldUnknown, ""},
		{"F_N_CANCELLED", FieldCancelled, ""},
		{"F_MV", FieldMovingTo, ""},
		{"F_MVFROM", FieldMovedFrom, ""},
		{"F_PH", FieldHome, ""},
		{"F_RI", FieldOrigIndex, ""},
		{"F_PC", FieldParts, ""},
		{"F_PX", FieldPending, ""},
		{"F_XT", FieldXTarget, ""},
		{"F_XR", FieldXRecips, ""},
		{"F_XA", FieldXApplied, ""},
		{"F_UW", FieldMaybeSent, ""},
	}},
}
