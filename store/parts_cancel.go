package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// partsOf reports whether request id's hash on channel ch is one of
// several (see parts.go).
func (s *Store) partsOf(ctx context.Context, ch, id string) (bool, error) {
	v, err := s.rdb.HMGet(ctx, s.keys.Request(ch, id), schema.FieldParts, schema.FieldPending, schema.FieldHome).Result()
	if err != nil {
		return false, fmt.Errorf("store: cancel request: %w", err)
	}
	for _, x := range v {
		if x != nil {
			return true, nil
		}
	}
	return false, nil
}

// cancelParts cancels every hash of a request on several channels: it
// first finishes the pending transfers (so no part appears uncancelled
// after this call), then cancels each hash, home first. A failover move
// that wrote a transfer on a part between the read of the hashes and that
// part's cancel may have made a new part: the hashes are read again until
// a round finds none left uncancelled (a cancelled hash takes no new
// transfers, so this ends). The home's result carries the others in
// Parts; public recipient indexes come from "ri".
func (s *Store) cancelParts(ctx context.Context, home, id string) (*CancelResult, error) {
	var res *CancelResult
	done := map[string]bool{}
	for {
		chans, hashes, err := s.requestHashes(ctx, home, id, nil)
		if err != nil {
			return nil, err
		}
		for i, h := range hashes {
			if h[schema.FieldPending] != "" {
				if _, err := s.forward(ctx, chans[i], id); err != nil {
					return nil, err
				}
			}
		}
		if chans, hashes, err = s.requestHashes(ctx, home, id, nil); err != nil {
			return nil, err
		}
		cancelled := false
		for i, ch := range chans {
			if done[ch] || len(hashes[i]) == 0 {
				continue
			}
			done[ch], cancelled = true, true
			r, err := s.cancelOne(ctx, ch, id)
			if err != nil {
				return nil, err
			}
			if ri, ok := hashes[i][schema.FieldOrigIndex]; ok {
				idx := strings.Split(ri, ",")
				for k := range r.Submitted {
					if n := r.Submitted[k].Recipient; n >= 1 && n <= len(idx) {
						r.Submitted[k].Recipient, _ = strconv.Atoi(idx[n-1])
					}
				}
			}
			if res == nil {
				res = r
				continue
			}
			res.Cancelled += r.Cancelled
			res.InFlight += r.InFlight
			res.Parts = append(res.Parts, r)
		}
		if !cancelled {
			break
		}
	}
	if res == nil {
		return nil, fmt.Errorf("%w: request %s", ErrNotFound, id)
	}
	return res, nil
}
