// Package store is smsbridge's Redis queue and state: requests, the
// per-channel job queue with leases, Msg_Id → job mapping, status-report
// matching and rollup, MO reassembly, webhook events and idempotency.
//
// # Model
//
// A channel is one ISMG account. A request (one POST /sms) has one channel,
// R recipients and S segments; its unit of work, a job, is one
// (request, recipient r, segment s) pair, i.e. one CMPP SUBMIT, named
// "<request id>:<r>:<s>" (JobID). A request has R×S jobs.
//
// Every key of a channel starts with the hash tag "{<prefix>:<channel>}"
// (see Keys), so that each Lua script touches one Redis Cluster slot. The
// only keys outside channel slots are the request index (id → channel),
// idempotency records, and a tenant's daily quota and request-rate state,
// used by single-key commands and scripts only.
//
// A request whose recipients are routed to several channels
// (NewRequest.RecipientChannels) has one hash per channel under the same
// id: the home (Channel, named by the request index) and a part per other
// channel holding only its recipients under local indexes ("ri" maps them
// back). The home is written whole, with a transfer record, by the one
// create script; forwarding copies each transfer to its part. MoveUnsent
// hands never-submitted recipients to other channels the same way
// (failover). GetRequest and CancelRequest visit every hash. See parts.go.
//
// # Fair queueing between tenants
//
// Within a channel each tenant has its own job lists, one per priority
// (high, normal, low), so one tenant's backlog never sits in front of
// another's jobs. Lease serves the active tenants by weighted fair
// queueing (a ZSET of tenant → virtual time, and a virtual clock at which
// a tenant that becomes active joins), a few jobs per pick while several
// are active; within a tenant, Priority states the order and the share
// lower priorities keep. Jobs queued by a version without tenant queues
// (the single list Keys.Queue) are leased first. See Lease and lua/lease.lua.
//
// The scripts also count each tenant's segments per day (in the tenant's
// time zone) and channel: accepted, submitted, and final by status (see
// Usage), in the channel's slot, one HINCRBY per key and field per call.
// TakeQuota and AllowRequest keep a tenant's daily quota and request rate
// across channels and replicas.
//
// # Why lists + a lease ZSET + a recoverer (and not Streams)
//
// Jobs wait in LISTs; Lease pops them and records a deadline per job in a
// ZSET; Recover puts expired leases back (as hibiken/asynq does). Redis
// Streams with consumer groups and XAUTOCLAIM were considered and rejected:
//
//   - leases are per job with their own deadline and heartbeat (Extend),
//     while a stream's pending list ties idle time to a consumer;
//   - delayed retries (SUBMIT_RESP Result 8 back-off, link loss) need a
//     ZSET by due time anyway, which streams do not offer;
//   - one script can pop, lease and read a whole batch, and a batch of
//     SUBMIT outcomes or reports is one script too: one round trip per
//     batch, which the 10,000 segments/s target needs;
//   - per-job state lives in the request hash, cheap to update and read
//     back in one HGETALL for GET /sms/{id};
//   - it behaves the same on miniredis, used in demo mode, whose stream
//     support is partial.
//
// # Transitions
//
// Each state transition is one Lua script in lua/ (KEYS and ARGV listed at
// the top of each file; lua/lib.lua holds the shared helpers and documents
// the per-job encoding). The job state fields, state letters, request hash
// field names and key suffixes are defined once in Go (store/internal/schema
// and keys.go); `go generate ./store/` writes them to lua/schema.lua
// (TestSchemaLuaCurrent fails while it is stale); loadLua inlines their
// values into the scripts. Scripts get every time from the Go side
// (Options.Now) and never read the Redis clock, with one exception: create.lua compares
// the create deadline (real wall-clock time) with Redis TIME, so that a
// create Redis runs too late does nothing (see CreateRequest). Job states:
//
//	queued ─Lease→ leased ─Submitted(Result 0)→ submitted ─Reports→ delivered | failed
//	   ↑             │ ├─Retry→ scheduled ─(due, Lease)→ leased      └─SweepReportWait→ unknown
//	   └─Recover─────┘ └─Submitted(Result≠0 | no response | Msg_Id collision)→ failed | unknown
//	queued | scheduled ─CancelRequest→ cancelled;  submitted ─RecordCancel→ cancelled
//	queued | scheduled ─FailQueued (channel removed)→ failed
//	leased ─Recover, lease expired more than MaxRecoveries times→ unknown (worker_lost)
//	queued | scheduled ─MoveUnsent (never possibly sent), create (other channel)→ moved (dead here,
//	                    queued in that channel's part)
//
// When all segments of a recipient are final the recipient is rolled up
// (delivered if all DELIVRD; failed if any failed, with the error code of
// the lowest-numbered failed segment; unknown if any unknown and none
// failed; cancelled otherwise) and an sms.status event is queued when the
// request has a callback URL. When all recipients are final the request
// hash gets its Retention TTL (never before). The request status is derived
// from counters kept in the hash (see RequestStatus), so no script ever
// rescans a whole request except CancelRequest.
//
// A report whose Msg_Id is not mapped yet (it arrived before the
// SUBMIT_RESP, PROTOCOL.md §11.3) is parked for ParkTTL and applied by the
// Submitted call that maps the Msg_Id. A report for a job that is already
// final is ignored (the ISMG resends reports).
//
// A Msg_Id is mapped with SET NX: when the ISMG gives a Msg_Id already
// mapped to another job that still waits for a report for it, the first
// mapping is kept and the later job is final unknown (msg_id_collision) at
// once, since no report could ever be matched to it. A mapping to a job no
// longer waiting (final, or its request gone) is replaced: the ISMG reused
// the Msg_Id.
package store
