package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store/internal/schema"
)

// recipientMoved is the "rs:<r>" status of a recipient handed to another
// channel ("moved|<channel>"): decodeRequest reads the channel as its
// error code.
const recipientMoved RecipientStatus = "moved"

// hasParts reports whether request hash h is one of several of its
// request (see parts.go): it handed recipients to other channels, has
// transfers pending or holds recipients under remapped indexes.
func hasParts(h map[string]string) bool {
	_, pc := h[schema.FieldParts]
	_, px := h[schema.FieldPending]
	_, ph := h[schema.FieldHome]
	return pc || px || ph
}

// getMerged reads every hash of request id (home h on channel home, then
// the channels it and its parts handed recipients to) and merges them.
func (s *Store) getMerged(ctx context.Context, home, id string, h map[string]string) (*Request, error) {
	chans, hashes, err := s.requestHashes(ctx, home, id, h)
	if err != nil {
		return nil, err
	}
	return mergeParts(id, chans, hashes)
}

// mergeParts builds the public view of a request from its hashes (home
// first): each public recipient from the hash where it is live (not
// moved), with that hash's channel; a recipient whose transfer has not
// reached its target yet shows queued on the target. Status, counts and
// times are rolled up over all of them.
func mergeParts(id string, chans []string, hashes []map[string]string) (*Request, error) {
	var out *Request
	var live []*Recipient
	var pending []*Recipient
	var started, finished time.Time
	for i, h := range hashes {
		if len(h) == 0 {
			continue // a part that expired (final, past Retention)
		}
		d, err := decodeRequest(id, h)
		if err != nil {
			return nil, err
		}
		var ri []string
		if v, ok := h[schema.FieldOrigIndex]; ok {
			ri = strings.Split(v, ",")
		}
		if out == nil {
			out = d
		}
		if !d.StartedAt.IsZero() && (started.IsZero() || d.StartedAt.Before(started)) {
			started = d.StartedAt
		}
		if d.FinishedAt.After(finished) {
			finished = d.FinishedAt
		}
		for k := range d.Recipients {
			rc := &d.Recipients[k]
			pub := k + 1
			if ri != nil && k < len(ri) {
				pub, _ = strconv.Atoi(ri[k])
			}
			if pub < 1 {
				continue
			}
			for pub > len(live) {
				live = append(live, nil)
				pending = append(pending, nil)
			}
			rc.Index = pub
			if rc.Status == recipientMoved {
				// handed to channel rc.ErrorCode: shown there once applied
				p := *rc
				p.Status, p.ErrorCode, p.Channel = RecipientQueued, "", rc.ErrorCode
				for sg := range p.Segments {
					p.Segments[sg] = SegmentState{Index: sg + 1, State: JobQueued, Channel: rc.ErrorCode}
				}
				pending[pub-1] = &p
				continue
			}
			rc.Channel = chans[i]
			for sg := range rc.Segments {
				rc.Segments[sg].Channel = chans[i]
			}
			live[pub-1] = rc
		}
	}
	if out == nil {
		return nil, ErrNotFound
	}
	R, S := len(live), out.Counts.Segments
	out.Recipients = make([]Recipient, R)
	c := &out.Counts
	*c = Counts{Recipients: R, Segments: S, Jobs: R * S, JobsByState: make(map[JobState]int, 8)}
	nsub := 0
	for k := range live {
		rc := live[k]
		if rc == nil {
			rc = pending[k]
		}
		if rc == nil {
			rc = &Recipient{Index: k + 1, Status: RecipientQueued, Segments: make([]SegmentState, S)}
		}
		out.Recipients[k] = *rc
		for _, sg := range rc.Segments {
			c.JobsByState[sg.State]++
			switch sg.State {
			case JobQueued, JobLeased, JobScheduled:
			default:
				nsub++
			}
		}
		c.count(rc.Status)
	}
	out.StartedAt = started
	out.FinishedAt = time.Time{}
	if c.Pending == 0 {
		out.FinishedAt = finished
	}
	out.Status = requestStatus(c, nsub, !started.IsZero())
	return out, nil
}
