package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// Parts: a request whose recipients are on several channels.
//
// Every key of a request lives in one channel's slot, so a request whose
// recipients go out on several channels has one hash per channel, all
// under the same public id: the home (NewRequest.Channel, the channel the
// request index names) and a part per other channel. A part is an
// ordinary request hash holding only its own recipients, under local
// indexes 1..k: "ri" maps them to the public indexes and "ph" names the
// home, so every script (lease, reports, rollup, cancel) works on it
// unchanged.
//
// Recipients reach a part through a transfer, whose record sits in the
// source hash: their jobs there are "m" (moved: dead, counted in "rfin" so
// the source still becomes final), "xt:<xid>"/"xr:<xid>" name the target
// and the local indexes, "px" lists the pending transfers and the request
// id is in the source channel's Transfers ZSET. create.lua writes such a
// record for the recipients of other channels in the same script as the
// request (so the 202 means the whole request is stored), and MoveUnsent
// writes one with unsent_out.lua. Forwarding then runs, per transfer,
// part_in.lua on the target (creates the part or appends to the copy the
// target holds; records "xa:<xid>", so a rerun does nothing) and
// part_done.lua on the source (ends the transfer, adds the target to
// "pc"). In a Redis Cluster the two channels may be on different nodes, so
// the copy goes through this process; each step is idempotent, so a crash
// between them is finished by RecoverTransfers. GetRequest and
// CancelRequest visit the hashes through "pc", from the home.

// movedJob is the state of a job whose recipient create.lua hands to
// another channel at once (J_N fields: state "m", 0 attempts).
var movedJob = schema.StateMoved + "|0" + strings.Repeat("|", schema.JobFields-2)

// moveXIDPrefix starts the transfer ids of MoveUnsent: their segments were
// counted accepted on the source channel already (create-time transfers
// are counted on their target).
const moveXIDPrefix = "mv-"

// partPlan is the transfers a new request's home hands to other channels.
type partPlan struct {
	xids, targets []string
	recips        [][]int // local (= public, in the home) indexes per transfer
}

// plan returns the transfers of req, or nil when every recipient is on
// req.Channel (then the request is stored exactly as a one-channel one).
func (r *NewRequest) plan() *partPlan {
	var p *partPlan
	at := map[string]int{}
	for i, ch := range r.RecipientChannels {
		if ch == "" || ch == r.Channel {
			continue
		}
		if p == nil {
			p = &partPlan{}
		}
		k, ok := at[ch]
		if !ok {
			k = len(p.targets)
			at[ch] = k
			p.targets = append(p.targets, ch)
			p.xids = append(p.xids, nonce())
			p.recips = append(p.recips, nil)
		}
		p.recips[k] = append(p.recips[k], i+1)
	}
	return p
}

// partMeta appends to meta the create-time transfer record of p (see
// create.lua).
func (p *partPlan) partMeta(meta []any, S int) []any {
	moved := 0
	for k, target := range p.targets {
		idx := make([]string, len(p.recips[k]))
		for i, r := range p.recips[k] {
			idx[i] = strconv.Itoa(r)
			for s := 1; s <= S; s++ {
				meta = append(meta, jobField(r, s), movedJob)
			}
			meta = append(meta, recipientField(schema.FieldRecipientDone, r), "moved|"+target)
		}
		moved += len(idx)
		meta = append(meta, schema.FieldXTarget+p.xids[k], target, schema.FieldXRecips+p.xids[k], strings.Join(idx, ","))
	}
	return append(meta, schema.FieldFinals, strconv.Itoa(moved), schema.FieldPending, strings.Join(p.xids, ","))
}

// partCopied are the meta fields a part copies from its source.
var partCopied = []string{
	schema.FieldTenant, schema.FieldMsgFmt, schema.FieldCreatedAt, schema.FieldSegments, schema.FieldCallback,
	schema.FieldClientRef, schema.FieldSrcExt, schema.FieldWeight, schema.FieldPriority, schema.FieldUTCOffset,
	schema.FieldOrigin, schema.FieldReportTo, schema.FieldPkTotal, schema.FieldPkNumber, schema.FieldValidTime,
	schema.FieldAtTime, schema.FieldCancelledAt,
}

// forward runs the pending transfers of request id's hash on channel ch
// (part_in.lua on each target, then part_done.lua here) and returns how
// many it ended. Idempotent: safe to run concurrently with another
// forwarder or again after a crash.
func (s *Store) forward(ctx context.Context, ch, id string) (int, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys.Request(ch, id)).Result()
	if err != nil {
		return 0, fmt.Errorf("store: forward read: %w", err)
	}
	px := h[schema.FieldPending]
	if len(h) == 0 || px == "" {
		if err := s.rdb.ZRem(ctx, s.keys.Transfers(ch), id).Err(); err != nil {
			return 0, fmt.Errorf("store: forward: %w", err)
		}
		return 0, nil
	}
	done := 0
	for _, xid := range strings.Split(px, ",") {
		target, err := s.transferIn(ctx, ch, id, h, xid)
		if err != nil {
			return done, err
		}
		if _, err := s.run(ctx, "part done", scriptPartDone,
			[]string{s.keys.Request(ch, id), s.keys.Transfers(ch)}, id, xid, target, secs(s.opts.IndexTTL)); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// transferIn applies transfer xid of request id's hash h on channel ch to
// its target (part_in.lua) and returns the target.
func (s *Store) transferIn(ctx context.Context, ch, id string, h map[string]string, xid string) (string, error) {
	target := h[schema.FieldXTarget+xid]
	locals := strings.Split(h[schema.FieldXRecips+xid], ",")
	if target == "" || h[schema.FieldXRecips+xid] == "" {
		return "", fmt.Errorf("%w: request %s on %s: transfer %s has no record", ErrBadReply, id, ch, xid)
	}
	home := h[schema.FieldHome]
	if home == "" {
		home = ch
	}
	var orig []string
	if ri, ok := h[schema.FieldOrigIndex]; ok {
		orig = strings.Split(ri, ",")
	}
	S, _ := strconv.Atoi(h[schema.FieldSegments])
	meta := []any{schema.FieldChannel, target}
	for _, f := range partCopied {
		if v, ok := h[f]; ok {
			meta = append(meta, f, v)
		}
	}
	for sg := 1; sg <= S; sg++ {
		meta = append(meta, recipientField(schema.FieldSeg, sg), h[recipientField(schema.FieldSeg, sg)])
		if v, ok := h[recipientField(schema.FieldUDHI, sg)]; ok {
			meta = append(meta, recipientField(schema.FieldUDHI, sg), v)
		}
	}
	args := make([]any, 0, 9+len(meta)+2*len(locals))
	args = append(args, s.keys.Tag(target), id, xid, home, ms(s.now()), secs(s.opts.UsageRetention), len(locals), len(meta),
		boolFlag(!strings.HasPrefix(xid, moveXIDPrefix)))
	args = append(args, meta...)
	for _, l := range locals {
		o := l
		if r, err := strconv.Atoi(l); err == nil && orig != nil && r >= 1 && r <= len(orig) {
			o = orig[r-1]
		}
		args = append(args, o)
	}
	for _, l := range locals {
		args = append(args, h[schema.FieldTo+l])
	}
	_, err := s.run(ctx, "part in", scriptPartIn,
		[]string{s.keys.Request(target, id), s.keys.Active(target), s.keys.VClock(target)}, args...)
	return target, err
}

// RecoverTransfers finishes the transfers to parts that channel's hashes
// began more than olderThan ago and a crashed process left (see parts.go:
// the process that created or moved the request forwards at once; this is
// for the one that died in between). The maintenance loop calls it with
// Recover. It returns the transfers ended.
func (s *Store) RecoverTransfers(ctx context.Context, channel string, olderThan time.Duration) (int, error) {
	if err := checkChannel(channel); err != nil {
		return 0, err
	}
	ids, err := s.rdb.ZRangeByScore(ctx, s.keys.Transfers(channel), &redis.ZRangeBy{
		Min: "-inf", Max: ms(s.now().Add(-olderThan)), Count: int64(s.opts.SweepBatch)}).Result()
	if err != nil {
		return 0, fmt.Errorf("store: recover transfers: %w", err)
	}
	total := 0
	for _, id := range ids {
		n, err := s.forward(ctx, channel, id)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// requestHashes returns the channels holding a hash of request id, home
// first, visiting "pc" (and pending transfers' targets) from the home, with
// each hash (field -> value); homeHash, when not nil, is the home's, read
// already.
func (s *Store) requestHashes(ctx context.Context, home, id string, homeHash map[string]string) ([]string, []map[string]string, error) {
	chans := []string{home}
	seen := map[string]bool{home: true}
	var hashes []map[string]string
	for i := 0; i < len(chans); i++ {
		h := homeHash
		if i > 0 || h == nil {
			var err error
			if h, err = s.rdb.HGetAll(ctx, s.keys.Request(chans[i], id)).Result(); err != nil {
				return nil, nil, fmt.Errorf("store: get request: %w", err)
			}
		}
		hashes = append(hashes, h)
		for _, c := range strings.Split(h[schema.FieldParts], ",") {
			if c != "" && !seen[c] {
				seen[c] = true
				chans = append(chans, c)
			}
		}
		// a pending transfer's target may hold the part already
		for f, v := range h {
			if strings.HasPrefix(f, schema.FieldXTarget) && !seen[v] {
				seen[v] = true
				chans = append(chans, v)
			}
		}
	}
	return chans, hashes, nil
}
