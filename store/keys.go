package store

import (
	"strconv"
	"strings"
)

// Keys builds every Redis key of the store for one prefix (default "sb").
// It is the only place key names are spelled out: the scripts get every
// fixed key of a channel in KEYS, and build the keys that depend on data
// (per request, Msg_Id, event, tenant, day or CMPP account) from the
// channel tag they receive in ARGV[1] and the suffix constants below,
// which go generate copies into lua/schema.lua. Those keys are built by
// the key functions of lua/lib.lua only: reqkey (Request), midkey (MsgID),
// parkkey (Park), evkey (Event), voidkey (Void), usekey (Usage), qkey
// (TenantQueue), cmppqkey (CMPPQueue), cmppdkey (CMPPEntries); and flush
// builds the CMPP wake channel (CMPPWake) from the prefix in the tag.
//
// Every key of a channel starts with the hash tag "{<prefix>:<channel>}" so
// that all of them live in one Redis Cluster slot and every script touches
// one slot only. The other keys live outside channel slots: the request
// index, idempotency records, and a tenant's daily quota and request-rate
// state (hash tag: the tenant) are only used by single-key commands and
// scripts; the registry keys share the hash tag "{<prefix>:_registry}" (no
// channel's: channel names cannot start with '_'), so the registry's
// transactions and scripts touch one slot.
//
// Per channel (<p> is a priority: h, n or l; <day> days since 1970-01-01
// in the tenant's zone):
//
//	{sb:ch}:req:<id>        HASH   request meta, recipients, segments, per-job state
//	{sb:ch}:q               LIST   legacy pending jobs (queued before per-tenant queues; drained first)
//	{sb:ch}:q:<tenant>:<p>  LIST   pending jobs "<id>:<r>:<s>" of a tenant at priority p
//	{sb:ch}:tq              ZSET   active tenants (a queue not empty) -> virtual time
//	{sb:ch}:vc              STRING virtual clock of the fair queue
//	{sb:ch}:tk              HASH   tenant -> picks counted by lease.lua (priority share)
//	{sb:ch}:use:<tenant>:<day> HASH usage counters a s d f u c of a tenant's day (TTL UsageRetention)
//	{sb:ch}:lease           ZSET   job -> lease deadline (ms)
//	{sb:ch}:sched           ZSET   job -> due time (ms) of a delayed retry
//	{sb:ch}:await           ZSET   job -> report deadline (ms)
//	{sb:ch}:mid:<msgid>     STRING msg_id -> job (TTL MappingTTL)
//	{sb:ch}:park:<msgid>    STRING report that came before its SUBMIT_RESP (TTL ParkTTL)
//	{sb:ch}:parked          STRING "1" while a parked report may exist (TTL ParkTTL, renewed per park)
//	{sb:ch}:ev:ready        LIST   ready events: a new event's whole record, or the id of an event
//	                               whose record is in {sb:ch}:ev:<eid> (see events.go, eventrec.go)
//	{sb:ch}:ev:leased       ZSET   event -> lease deadline (ms)
//	{sb:ch}:ev:retry        ZSET   event -> retry time (ms)
//	{sb:ch}:ev:died         ZSET   event -> dead-letter time (ms)
//	{sb:ch}:ev:<eid>        STRING one event's record, while leased, scheduled or dead (a HASH for
//	                               events of the previous version: see LegacyEventQueue)
//	{sb:ch}:ev:q, :ev:lease, :ev:sched, :ev:dead  the previous version's event list and sets, drained
//	{sb:ch}:mo:<key>        HASH   MO long-message parts (TTL MOPartTTL)
//	{sb:ch}:dedup:<msgid>   STRING DELIVER Msg_Id already seen (TTL DedupTTL)
//	{sb:ch}:flow            HASH   shared send limit: GCRA state and adaptive (Result 8) rate
//	{sb:ch}:health          HASH   failover health of the channel, shared by the replicas (see health.go)
//	{sb:ch}:hstat           HASH   failover counters in buckets of max(1 s, window/60) "<bucket start, unix s>:<a|s|p|r|f>" -> count (pruned past the window)
//	{sb:ch}:mover           STRING owner of the failover mover's lock (TTL: the lock's lease)
//	{sb:ch}:void:<id>       STRING request id whose create may no longer run (see resolve.lua)
//	{sb:ch}:xfer            ZSET   request ids whose hash here has transfers to parts pending -> since (ms)
//	{sb:ch}:cq:<account>    ZSET   CMPP account's ready DELIVER entries: entry id -> enqueue time (ms)
//	{sb:ch}:cql:<account>   ZSET   CMPP account's leased entries: entry id -> lease deadline (ms)
//	{sb:ch}:cqd:<account>   HASH   CMPP account's entries: entry id -> payload (ready or leased), where
//	                               id is "<request id>:<r>" (report of recipient r) or "mo:<msgid>" (MO);
//	                               payload "|"-separated, kind first: see cmpp_queue.go decodeCMPPEntry
//
// Outside channel slots:
//
//	sb:reqidx:<id>          STRING request id -> channel
//	sb:idem:<tenant>:<key>  HASH   idempotency record
//	sb:quota:{<tenant>}:<day> STRING segments taken from a tenant's daily quota (TTL 2 days)
//	sb:rate:{<tenant>}      STRING GCRA state of a tenant's request rate (TTL: until the bucket is full)
//	sb:cmpprate:{<account>} STRING GCRA state of a CMPP account's SUBMIT rate (TTL: until the bucket is full)
//	sb:cmppseq:{<stamp>}    STRING Msg_Id sequence numbers taken in second stamp MMDDHHMMSS (TTL 3 min)
//	sb:slots:{<scope>}      ZSET   link slots of a scope (e.g. cmpp:<account>, ch:<channel>): link id -> lease deadline (ms)
//	sb:replicas:{<scope>}   ZSET   live replicas sharing a scope's slots (ch:<channel>): owner -> liveness deadline (ms)
//	sb:loginfail:{<addr>}   STRING failed CMPP logins of a remote address (TTL: window after the last failure)
//	sb:port:{<xx>}          HASH   moved numbers (携号转网): number -> carrier code, sharded over
//	                               PortabilityShards hashes by the number modulo 256 (xx: 2 hex digits)
//	sb:cmpp:wake            pub/sub channel (not a key): CMPP account with new DELIVER entries
//	{sb:_registry}:tenants  HASH   tenant name -> JSON record (registry)
//	{sb:_registry}:channels HASH   channel name -> JSON record (registry)
//	{sb:_registry}:version  STRING counter every registry change increments
//	{sb:_registry}:keyidx   HASH   SHA-256 of an API key -> "<tenant>:<key id>"
//	{sb:_registry}:keyuse   HASH   API key id -> last use (unix ms)
//	{sb:_registry}:events   pub/sub channel (not a key): new registry version
type Keys struct {
	// Prefix starts every key; it must not contain '{', '}' or ':'.
	Prefix string
}

// CheckPrefix returns an ErrInvalid error naming field when prefix cannot
// start keys: empty, or with '{', '}', ':' or white space (it sits inside
// hash tags and between ':' separators).
func CheckPrefix(field, prefix string) error { return validateName(field, prefix) }

// Key suffixes shared with the Lua scripts (which append them to the tag):
// go generate copies every sfx constant into lua/schema.lua as SFX_<NAME>
// (sfxEvQueue -> SFX_EV_QUEUE); TestSchemaLuaCurrent fails until it is
// rerun after a change.
const (
	sfxRequest = ":req:"
	sfxQueue   = ":q"
	sfxLease   = ":lease"
	sfxSched   = ":sched"
	sfxAwait   = ":await"
	sfxMsgID   = ":mid:"
	sfxPark    = ":park:"
	sfxParked  = ":parked"
	sfxEvQueue = ":ev:ready"
	sfxEvLease = ":ev:leased"
	sfxEvSched = ":ev:retry"
	sfxEvDead  = ":ev:died"
	sfxEvent   = ":ev:"
	sfxMO      = ":mo:"
	sfxDedup   = ":dedup:"
	sfxFlow    = ":flow"
	sfxVoid    = ":void:"
	sfxTenantQ = ":q:"
	sfxActive  = ":tq"
	sfxVClock  = ":vc"
	sfxPicks   = ":tk"
	sfxUsage   = ":use:"
	sfxCMPPQ   = ":cq:"
	sfxCMPPL   = ":cql:"
	sfxCMPPD   = ":cqd:"
	sfxHealth  = ":health"
	sfxHStat   = ":hstat"
	sfxMover   = ":mover"
	sfxXfer    = ":xfer"
	// sfxWake follows the prefix, not the tag: a pub/sub channel.
	sfxWake = ":cmpp:wake"
)

// Key suffixes of the previous version's event list and sets (see
// Keys.LegacyEventQueue).
const (
	sfxLegacyEvQueue = ":ev:q"
	sfxLegacyEvLease = ":ev:lease"
	sfxLegacyEvSched = ":ev:sched"
	sfxLegacyEvDead  = ":ev:dead"
)

// Tag returns the hash tag "{<prefix>:<channel>}" that starts every key of
// the channel. Scripts receive it as ARGV[1].
func (k Keys) Tag(channel string) string { return "{" + k.Prefix + ":" + channel + "}" }

// Request is the request hash: meta fields, "to:<r>", "seg:<s>", "udhi:<s>",
// per-job state "j:<r>:<s>" and rollup counters (see request.go).
func (k Keys) Request(channel, id string) string { return k.Tag(channel) + sfxRequest + id }

// Queue is the legacy list of pending jobs of the channel: jobs queued by
// a version without per-tenant queues. Nothing pushes to it any more;
// Lease drains it before the tenant queues.
func (k Keys) Queue(channel string) string { return k.Tag(channel) + sfxQueue }

// TenantQueue is the list of pending jobs of tenant at priority p in
// channel (lua/lib.lua builds the same name in qkey).
func (k Keys) TenantQueue(channel, tenant string, p Priority) string {
	return k.Tag(channel) + sfxTenantQ + tenant + ":" + p.code()
}

// Active is the ZSET of the channel's tenants with queued jobs, scored by
// virtual time (see lua/lease.lua).
func (k Keys) Active(channel string) string { return k.Tag(channel) + sfxActive }

// VClock is the virtual clock of the channel's fair queue: a tenant that
// becomes active joins Active at this time.
func (k Keys) VClock(channel string) string { return k.Tag(channel) + sfxVClock }

// Picks counts each active tenant's picks, for the priority share.
func (k Keys) Picks(channel string) string { return k.Tag(channel) + sfxPicks }

// Usage is the usage counters hash of tenant for day (days since
// 1970-01-01 in the tenant's time zone) in channel.
func (k Keys) Usage(channel, tenant string, day int) string {
	return k.Tag(channel) + sfxUsage + tenant + ":" + strconv.Itoa(day)
}

// Lease is the ZSET of leased jobs scored by lease deadline (ms).
func (k Keys) Lease(channel string) string { return k.Tag(channel) + sfxLease }

// Sched is the ZSET of jobs waiting for a delayed retry, scored by due time.
func (k Keys) Sched(channel string) string { return k.Tag(channel) + sfxSched }

// Await is the ZSET of submitted jobs waiting for their status report,
// scored by the time after which they become 'unknown'.
func (k Keys) Await(channel string) string { return k.Tag(channel) + sfxAwait }

// MsgID maps an ISMG Msg_Id (22-digit text) to its job.
func (k Keys) MsgID(channel, msgID string) string { return k.Tag(channel) + sfxMsgID + msgID }

// Park holds a status report that arrived before the SUBMIT_RESP carrying
// its Msg_Id (PROTOCOL.md §11.3).
func (k Keys) Park(channel, msgID string) string { return k.Tag(channel) + sfxPark + msgID }

// Parked exists while a parked report may exist on channel (it is renewed
// with ParkTTL by every park), so that Submitted looks for parked reports
// only then instead of once per submitted job.
func (k Keys) Parked(channel string) string { return k.Tag(channel) + sfxParked }

// EventQueue is the list of events ready to be delivered: each entry is
// a new event's whole record (no key of its own until it is leased) or
// the id of an event whose record is in its Event key (a retry, an
// expired lease, a replay, an event of the previous version).
func (k Keys) EventQueue(channel string) string { return k.Tag(channel) + sfxEvQueue }

// EventLease is the ZSET of events being delivered, scored by lease deadline.
func (k Keys) EventLease(channel string) string { return k.Tag(channel) + sfxEvLease }

// EventSched is the ZSET of events waiting for a delivery retry.
func (k Keys) EventSched(channel string) string { return k.Tag(channel) + sfxEvSched }

// EventDead is the ZSET of dead-lettered events, scored by when they died.
func (k Keys) EventDead(channel string) string { return k.Tag(channel) + sfxEvDead }

// Event is one event's record (a string, see eventrec.go; a hash for an
// event of the previous version), written when the event is leased.
func (k Keys) Event(channel, eid string) string { return k.Tag(channel) + sfxEvent + eid }

// LegacyEventQueue, LegacyEventLease, LegacyEventSched and LegacyEventDead
// are the event list and sets of the previous version (event hashes
// referenced by id). New events never enter them, so that a process of the
// previous version still running in a rolling upgrade never meets a
// record it cannot read; Recover moves what they hold (ready, due, lease
// expired, dead) to the current list and sets (lua/ev_legacy.lua).
func (k Keys) LegacyEventQueue(channel string) string { return k.Tag(channel) + sfxLegacyEvQueue }

// LegacyEventLease: see LegacyEventQueue.
func (k Keys) LegacyEventLease(channel string) string { return k.Tag(channel) + sfxLegacyEvLease }

// LegacyEventSched: see LegacyEventQueue.
func (k Keys) LegacyEventSched(channel string) string { return k.Tag(channel) + sfxLegacyEvSched }

// LegacyEventDead: see LegacyEventQueue.
func (k Keys) LegacyEventDead(channel string) string { return k.Tag(channel) + sfxLegacyEvDead }

// MO is the partial set of one MO long message; partKey identifies the
// message (see MOPartKey).
func (k Keys) MO(channel, partKey string) string { return k.Tag(channel) + sfxMO + partKey }

// Dedup marks a DELIVER Msg_Id as processed (the ISMG resends a DELIVER
// whose DELIVER_RESP it missed).
func (k Keys) Dedup(channel, deliverMsgID string) string {
	return k.Tag(channel) + sfxDedup + deliverMsgID
}

// Flow is the channel's shared send limit: the GCRA state of the limit
// and the adaptive rate, storm start and growth state of flow control
// (see flow.go).
func (k Keys) Flow(channel string) string { return k.Tag(channel) + sfxFlow }

// Health returns the channel's failover health hash (see HealthTick).
func (k Keys) Health(channel string) string { return k.Tag(channel) + sfxHealth }

// HealthStats returns the channel's failover counters, one field per
// second and kind (see HealthTick).
func (k Keys) HealthStats(channel string) string { return k.Tag(channel) + sfxHStat }

// Mover returns the lock of the channel's failover mover (see TakeMover).
func (k Keys) Mover(channel string) string { return k.Tag(channel) + sfxMover }

// Void marks a request id whose create call failed and was settled as
// "not stored": create.lua does nothing for a voided id.
func (k Keys) Void(channel, id string) string { return k.Tag(channel) + sfxVoid + id }

// Transfers is the ZSET of the request ids whose hash on channel hands
// recipients to other channels (parts) and has not finished yet, scored by
// when the transfer began (ms): the recoverer finishes old ones.
func (k Keys) Transfers(channel string) string { return k.Tag(channel) + sfxXfer }

// CMPPQueue is the ZSET of account's DELIVER entries ready to be sent,
// scored by enqueue time (ms); lua/lib.lua cmpp_report builds the same
// name.
func (k Keys) CMPPQueue(channel, account string) string {
	return k.Tag(channel) + sfxCMPPQ + account
}

// CMPPLeased is the ZSET of account's DELIVER entries leased to a link,
// scored by lease deadline (ms).
func (k Keys) CMPPLeased(channel, account string) string {
	return k.Tag(channel) + sfxCMPPL + account
}

// CMPPEntries is the HASH of account's DELIVER entries: id -> payload.
func (k Keys) CMPPEntries(channel, account string) string {
	return k.Tag(channel) + sfxCMPPD + account
}

// CMPPWake is the pub/sub channel (not a key) on which scripts publish a
// CMPP account's name when they queue DELIVER entries for it; lua/lib.lua
// flush builds the same name from the tag.
func (k Keys) CMPPWake() string { return k.Prefix + sfxWake }

// CMPPRate is the GCRA state of a CMPP account's SUBMIT rate.
func (k Keys) CMPPRate(account string) string { return k.Prefix + ":cmpprate:{" + account + "}" }

// MsgSeq counts the Msg_Id sequence numbers taken in one second (stamp
// MMDDHHMMSS) across the cluster.
func (k Keys) MsgSeq(stamp string) string { return k.Prefix + ":cmppseq:{" + stamp + "}" }

// LinkSlots is the ZSET of the link slots of scope (link id -> lease
// deadline).
func (k Keys) LinkSlots(scope string) string { return k.Prefix + ":slots:{" + scope + "}" }

// LinkReplicas is the ZSET of the live replicas sharing the link slots of
// scope (owner -> liveness deadline), in the slot of LinkSlots(scope).
func (k Keys) LinkReplicas(scope string) string { return k.Prefix + ":replicas:{" + scope + "}" }

// LoginFails counts the failed logins of a remote address.
func (k Keys) LoginFails(addr string) string { return k.Prefix + ":loginfail:{" + addr + "}" }

// PortabilityShards is the number of hashes moved numbers are spread
// over, so that no hash grows huge and a Cluster spreads them.
const PortabilityShards = 256

// Portability is the hash holding the moved number's entry (number must be
// digits, e.g. msisdn.Normalize's 11): shard = number modulo
// PortabilityShards, as 2 hex digits, in the hash tag.
func (k Keys) Portability(number string) string {
	n, _ := strconv.ParseUint(number, 10, 64)
	return k.PortabilityShard(int(n % PortabilityShards))
}

// PortabilityShard is the hash of shard 0..PortabilityShards-1.
func (k Keys) PortabilityShard(shard int) string {
	const hexDigits = "0123456789abcdef"
	return k.Prefix + ":port:{" + string([]byte{hexDigits[shard>>4&15], hexDigits[shard&15]}) + "}"
}

// RequestIndex maps a request id to its channel (outside channel slots).
func (k Keys) RequestIndex(id string) string { return k.Prefix + ":reqidx:" + id }

// Idempotency is the idempotency record of a tenant's Idempotency-Key.
func (k Keys) Idempotency(tenant, key string) string {
	return k.Prefix + ":idem:" + tenant + ":" + key
}

// Quota counts the segments taken from tenant's quota of day, across
// channels (outside channel slots; the tenant is its hash tag).
func (k Keys) Quota(tenant string, day int) string {
	return k.Prefix + ":quota:{" + tenant + "}:" + strconv.Itoa(day)
}

// RequestRate is the GCRA state of tenant's request rate, across
// replicas (outside channel slots).
func (k Keys) RequestRate(tenant string) string { return k.Prefix + ":rate:{" + tenant + "}" }

// RegistryTag is the hash tag of every registry key: one slot, so each
// registry script touches one slot in Cluster. Channel names cannot start
// with '_', so it is no channel's tag.
func (k Keys) RegistryTag() string { return "{" + k.Prefix + ":_registry}" }

// RegistryTenants is the HASH of tenant records (name -> JSON).
func (k Keys) RegistryTenants() string { return k.RegistryTag() + ":tenants" }

// RegistryChannels is the HASH of channel records (name -> JSON).
func (k Keys) RegistryChannels() string { return k.RegistryTag() + ":channels" }

// RegistryVersion is the counter every registry change increments.
func (k Keys) RegistryVersion() string { return k.RegistryTag() + ":version" }

// RegistryKeyIndex maps the SHA-256 of every API key to
// "<tenant>:<key id>", so a key belongs to one tenant only.
func (k Keys) RegistryKeyIndex() string { return k.RegistryTag() + ":keyidx" }

// KeyLastUse maps an API key id to its last use (unix ms).
func (k Keys) KeyLastUse() string { return k.RegistryTag() + ":keyuse" }

// RegistryEvents is the pub/sub channel a registry change publishes its
// new version on (not a key).
func (k Keys) RegistryEvents() string { return k.RegistryTag() + ":events" }

// MOPartKey identifies the parts of one MO long message, as PROTOCOL.md
// §8.3 recommends: (Src_terminal_Id, Dest_Id, reference, total).
func MOPartKey(src, dest string, ref, total int) string {
	var b strings.Builder
	b.Grow(len(src) + len(dest) + 16)
	b.WriteString(src)
	b.WriteByte(':')
	b.WriteString(dest)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(ref))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(total))
	return b.String()
}
