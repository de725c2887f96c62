package store

import (
	"embed"
	"strings"

	"github.com/redis/go-redis/v9"
)

// luaFiles holds one script per state transition (store/lua/*.lua). Each
// file starts with a comment listing its KEYS and ARGV.
//
//go:embed lua/*.lua
var luaFiles embed.FS

// script is one Lua script in two forms: plain (runs on every Redis and on
// miniredis) and strict, prefixed with the Redis 7 shebang "#!lua", under
// which Redis rejects any access to a key outside the slot of the declared
// keys ("Script attempted to access keys that do not hash to the same
// slot"), even on the same node. Tests run the Cluster suite in strict mode
// to prove every script is single-slot.
type script struct {
	plain, strict *redis.Script
}

// loadLua returns lua/<name>.lua, prefixed with lua/lib.lua when withLib,
// with the constants of lua/schema.lua (generated from
// store/internal/schema and keys.go) inlined: see inlineSchema. A missing
// file is a build defect, so it panics at package init.
func loadLua(name string, withLib bool) *script {
	if withLib {
		return register(name, newScript(inlineSchema(luaFile("lib")), inlineSchema(luaFile(name))))
	}
	return register(name, newScript(inlineSchema(luaFile(name))))
}

// allScripts holds every script by name (TestScriptsCompile loads each).
var allScripts = map[string]*script{}

// register records s as script name.
func register(name string, s *script) *script {
	if allScripts[name] != nil {
		panic("store: script " + name + " loaded twice")
	}
	allScripts[name] = s
	return s
}

// luaFile returns lua/<name>.lua; a missing file panics (a build defect).
func luaFile(name string) string {
	body, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("store: missing script " + name + ": " + err.Error())
	}
	return string(body)
}

// newScript joins parts, one after the other, into one script.
func newScript(parts ...string) *script {
	src := strings.Join(parts, "\n")
	return &script{plain: redis.NewScript(src), strict: redis.NewScript("#!lua\n" + src)}
}

// The scripts, run with EVALSHA and an EVAL fallback (redis.Script.Run).
var (
	scriptCreate       = loadLua("create", true)
	scriptCreateMany   = loadLua("create_many", true)
	scriptResolve      = loadLua("resolve", false)
	scriptLease        = loadLua("lease", true)
	scriptExtend       = loadLua("extend", true)
	scriptRetry        = loadLua("retry", true)
	scriptRecover      = loadLua("recover", true)
	scriptSubmitted    = loadLua("submitted", true)
	scriptReports      = loadLua("reports", true)
	scriptSweep        = loadLua("sweep", true)
	scriptCancel       = loadLua("cancel", true)
	scriptRecordCancel = loadLua("record_cancel", true)
	scriptMO           = loadLua("mo", true)
	scriptEvLease      = loadLua("ev_lease", true)
	scriptEvAck        = loadLua("ev_ack", true)
	scriptEvAckBatch   = loadLua("ev_ack_batch", true)
	scriptEvRetry      = loadLua("ev_retry", true)
	scriptEvDead       = loadLua("ev_dead", true)
	scriptEvReplay     = loadLua("ev_replay", true)
	scriptEvBody       = loadLua("ev_body", true)
	scriptEvGet        = loadLua("ev_get", false)
	scriptEvLegacy     = loadLua("ev_legacy", false)
	scriptIdemReserve  = loadLua("idem_reserve", false)
	scriptIdemComplete = loadLua("idem_complete", false)
	scriptIdemRelease  = loadLua("idem_release", false)
	scriptFlowTake     = loadLua("flow_take", false)
	scriptFlowCut      = loadLua("flow_cut", false)
	scriptFlowOK       = loadLua("flow_ok", false)
	scriptIdemTakeOver = loadLua("idem_takeover", false)
	scriptIdemQuota    = loadLua("idem_quota", false)
	scriptQuotaTake    = loadLua("quota_take", false)
	scriptQuotaReturn  = loadLua("quota_return", false)
	scriptRateTake     = loadLua("rate_take", false)
	scriptFailQueued   = loadLua("fail_queued", true)
	scriptMoveOut      = loadLua("move_out", false)
	scriptMoveIn       = loadLua("move_in", true)
	scriptMoveDone     = loadLua("move_done", false)
	scriptPurgeQueue   = loadLua("purge_queue", true)
	scriptCMPPMO       = loadLua("cmpp_mo", false)
	scriptCMPPLease    = loadLua("cmpp_lease", false)
	scriptCMPPAck      = loadLua("cmpp_ack", false)
	scriptCMPPRelease  = loadLua("cmpp_release", false)
	scriptLinkTake     = loadLua("link_take", false)
	scriptLinkRenew    = loadLua("link_renew", false)
	scriptShareTake    = register("link_share_take", newScript(luaFile("link_share"), luaFile("link_share_take")))
	scriptShareRenew   = register("link_share_renew", newScript(luaFile("link_share"), luaFile("link_share_renew")))
	scriptMsgSeq       = loadLua("msg_seq", false)
	scriptHealthTick   = loadLua("health_tick", false)
	scriptMoverLock    = loadLua("mover_lock", false)
	scriptMoverUnlock  = loadLua("mover_unlock", false)
)
