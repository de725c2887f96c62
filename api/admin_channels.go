package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/webhook"
)

// ChannelBody is the body of POST /admin/channels, and the fields a PATCH
// /admin/channels/{name} may merge (RFC 7386). Fields left out take the
// registry's defaults (see registry.Channel for each). Durations are
// strings such as "30s" or "500ms".
type ChannelBody struct {
	Name             string `json:"name"`
	Addr             string `json:"addr"`
	Version          string `json:"version"`
	SPID             string `json:"sp_id"`
	Secret           string `json:"secret"`
	MsgSrc           string `json:"msg_src"`
	SrcID            string `json:"src_id"`
	ServiceID        string `json:"service_id"`
	FeeType          string `json:"fee_type"`
	FeeCode          string `json:"fee_code"`
	FeeUserType      *uint8 `json:"fee_user_type"`
	Links            int    `json:"links"`
	Window           int    `json:"window"`
	MaxSubmitsPerSec int    `json:"max_submits_per_sec"`
	ResponseTimeout  string `json:"response_timeout"`
	Transmissions    int    `json:"transmissions"`
	IdleInterval     string `json:"idle_interval"`
	ConnectTimeout   string `json:"connect_timeout"`
	FlushDelay       string `json:"flush_delay"`
	// Carriers this account reaches; empty: every carrier.
	Carriers []string `json:"carriers"`
	// Failover says when the channel counts as failed; keys left out take
	// their defaults (see registry.ChannelFailover).
	Failover *registry.ChannelFailover `json:"failover,omitempty"`
	// MaxLinks is the limit of logged-in links across every replica
	// (0 = none).
	MaxLinks int `json:"max_links"`
}

// ChannelView is how the admin API shows a channel: its settings without
// the secret, and its state.
type ChannelView struct {
	Name    string `json:"name"`
	Addr    string `json:"addr"`
	Version string `json:"version"`
	SPID    string `json:"sp_id"`
	// SecretSet is true when a secret is set (it is never shown).
	SecretSet        bool   `json:"secret_set"`
	MsgSrc           string `json:"msg_src"`
	SrcID            string `json:"src_id"`
	ServiceID        string `json:"service_id"`
	FeeType          string `json:"fee_type"`
	FeeCode          string `json:"fee_code"`
	FeeUserType      *uint8 `json:"fee_user_type"`
	Links            int    `json:"links"`
	Window           int    `json:"window"`
	MaxSubmitsPerSec int    `json:"max_submits_per_sec"`
	ResponseTimeout  string `json:"response_timeout"`
	Transmissions    int    `json:"transmissions"`
	IdleInterval     string `json:"idle_interval"`
	ConnectTimeout   string `json:"connect_timeout"`
	FlushDelay       string `json:"flush_delay"`
	// Carriers this account reaches; empty: every carrier.
	Carriers []string `json:"carriers"`
	// Failover is the channel's failover section, defaults filled in.
	Failover registry.ChannelFailover `json:"failover"`
	// MaxLinks is the limit of logged-in links across every replica
	// (0 = none).
	MaxLinks int `json:"max_links"`
	// ManagedBy is "config" (read-only here) or "api".
	ManagedBy string `json:"managed_by"`
	// State is "active" or "deleted" (links stopped, queue kept).
	State     string        `json:"state"`
	DeletedAt *webhook.Time `json:"deleted_at,omitempty"`
	CreatedAt webhook.Time  `json:"created_at"`
	UpdatedAt webhook.Time  `json:"updated_at"`
	// LinksReady is true when this replica has a logged-in link of the
	// channel (absent when this process runs no sender).
	LinksReady *bool `json:"links_ready,omitempty"`
	// Queued maps each tenant to its segments waiting in the channel's
	// queue (GET /admin/channels/{name} only).
	Queued map[string]int64 `json:"queued,omitempty"`
}

// ChannelList is the body of GET /admin/channels.
type ChannelList struct {
	// Channels are by name, deleted ones included.
	Channels []ChannelView `json:"channels"`
}

// Channel states in ChannelView.State.
const (
	ChannelActive  = "active"
	ChannelDeleted = "deleted"
)

// durationText writes d the way ChannelBody reads it.
func durationText(d registry.Duration) string { return d.D().String() }

// channelFromBody is the channel b describes, with the defaults of the
// fields given reports as left out (a number given as 0 stays 0, which
// validation refuses), or 422 naming a duration field that does not
// parse.
func channelFromBody(b *ChannelBody, given func(key string) bool) (registry.Channel, *apiError) {
	ch := registry.Channel{
		Name: b.Name, Addr: b.Addr, Version: b.Version, SPID: b.SPID, Secret: b.Secret, MsgSrc: b.MsgSrc,
		SrcID: b.SrcID, ServiceID: b.ServiceID, FeeType: b.FeeType, FeeCode: b.FeeCode, FeeUserType: b.FeeUserType,
		Links: b.Links, Window: b.Window, MaxSubmitsPerSec: b.MaxSubmitsPerSec, Transmissions: b.Transmissions,
		Carriers: b.Carriers,
		MaxLinks: b.MaxLinks,
	}
	if b.Failover != nil {
		ch.Failover = cloneFailover(*b.Failover)
	}
	for _, f := range []struct {
		name string
		text string
		dst  *registry.Duration
	}{
		{"response_timeout", b.ResponseTimeout, &ch.ResponseTimeout},
		{"idle_interval", b.IdleInterval, &ch.IdleInterval},
		{"connect_timeout", b.ConnectTimeout, &ch.ConnectTimeout},
		{"flush_delay", b.FlushDelay, &ch.FlushDelay},
	} {
		if f.text == "" {
			continue
		}
		d, err := registry.ParseDuration(f.text)
		if err != nil {
			return ch, invalidField(f.name, err.Error())
		}
		*f.dst = registry.Duration(d)
	}
	ch.FillDefaults(given)
	return ch, nil
}

// bodyOfChannel is the editable part of ch (secret included: it is
// merged, never answered). Zero durations are left out, so they keep
// meaning "the default", and so is a msg_src equal to sp_id, so that it
// follows a new sp_id as its default does.
func bodyOfChannel(ch *registry.Channel) ChannelBody {
	b := ChannelBody{
		Name: ch.Name, Addr: ch.Addr, Version: ch.Version, SPID: ch.SPID, Secret: ch.Secret, MsgSrc: ch.MsgSrc,
		SrcID: ch.SrcID, ServiceID: ch.ServiceID, FeeType: ch.FeeType, FeeCode: ch.FeeCode, FeeUserType: ch.FeeUserType,
		Links: ch.Links, Window: ch.Window, MaxSubmitsPerSec: ch.MaxSubmitsPerSec, Transmissions: ch.Transmissions,
		Carriers: ch.Carriers,
		MaxLinks: ch.MaxLinks,
	}
	for _, f := range []struct {
		d   registry.Duration
		dst *string
	}{
		{ch.ResponseTimeout, &b.ResponseTimeout}, {ch.IdleInterval, &b.IdleInterval},
		{ch.ConnectTimeout, &b.ConnectTimeout}, {ch.FlushDelay, &b.FlushDelay},
	} {
		if f.d != 0 {
			*f.dst = durationText(f.d)
		}
	}
	if b.MsgSrc == b.SPID {
		b.MsgSrc = ""
	}
	f := cloneFailover(ch.Failover)
	b.Failover = &f
	return b
}

// cloneFailover copies f, sharing nothing with it, so that a snapshot's
// channel is never changed through a body or a view.
func cloneFailover(f registry.ChannelFailover) registry.ChannelFailover {
	if f.NoLinkFor != nil {
		d := *f.NoLinkFor
		f.NoLinkFor = &d
	}
	if f.FailureShare != nil {
		v := *f.FailureShare
		f.FailureShare = &v
	}
	f.ProblemResults = slices.Clone(f.ProblemResults)
	return f
}

// channelView renders ch; ready is the readiness of this replica's links
// (nil: no sender).
func channelView(ch *registry.Channel, ready map[string]bool) ChannelView {
	v := ChannelView{
		Name: ch.Name, Addr: ch.Addr, Version: ch.Version, SPID: ch.SPID, SecretSet: ch.Secret != "",
		MsgSrc: ch.MsgSrc, SrcID: ch.SrcID, ServiceID: ch.ServiceID, FeeType: ch.FeeType, FeeCode: ch.FeeCode,
		FeeUserType: ch.FeeUserType, Links: ch.Links, Window: ch.Window, MaxSubmitsPerSec: ch.MaxSubmitsPerSec,
		ResponseTimeout: durationText(ch.ResponseTimeout), Transmissions: ch.Transmissions,
		IdleInterval: durationText(ch.IdleInterval), ConnectTimeout: durationText(ch.ConnectTimeout),
		FlushDelay: durationText(ch.FlushDelay), Carriers: nonNil(ch.Carriers), MaxLinks: ch.MaxLinks, ManagedBy: ch.State.ManagedBy, State: ChannelActive,
		CreatedAt: webhook.Time{Time: ch.State.CreatedAt}, UpdatedAt: webhook.Time{Time: ch.State.UpdatedAt},
		Failover: cloneFailover(ch.Failover),
	}
	v.Failover.FillDefaults(func(string) bool { return false }) // a record stored before the section
	if ch.Deleted() {
		v.State = ChannelDeleted
		v.DeletedAt = &webhook.Time{Time: *ch.State.DeletedAt}
	}
	if ready != nil {
		r := ready[ch.Name] && !ch.Deleted()
		v.LinksReady = &r
	}
	return v
}

// ready returns the readiness of this replica's links (nil: no sender).
func (s *Server) ready() map[string]bool {
	if s.readiness == nil {
		return nil
	}
	r := s.readiness.ChannelsReady()
	if r == nil {
		r = map[string]bool{}
	}
	return r
}

// listChannels handles GET /admin/channels.
func (s *Server) listChannels(c *gin.Context) {
	snap := s.registry.Snapshot()
	ready := s.ready()
	names := snap.ChannelNamesWithData()
	out := ChannelList{Channels: make([]ChannelView, 0, len(names))}
	for _, name := range names {
		if ch, ok := snap.Channel(name); ok {
			out.Channels = append(out.Channels, channelView(ch, ready))
		}
	}
	c.JSON(http.StatusOK, out)
}

// snapChannel returns the channel named by path parameter param (deleted
// ones included), or answers 404.
func (s *Server) snapChannel(c *gin.Context, param string) (*registry.Channel, bool) {
	name := c.Param(param)
	ch, ok := s.registry.Snapshot().Channel(name)
	if !ok {
		abort(c, errorf(http.StatusNotFound, CodeNotFound, "no channel named "+quote(name)))
		return nil, false
	}
	logOf(c).channel = ch.Name
	return ch, true
}

// getChannel handles GET /admin/channels/{name}, with the segments queued
// per tenant.
func (s *Server) getChannel(c *gin.Context) {
	ch, ok := s.snapChannel(c, "name")
	if !ok {
		return
	}
	queued, err := s.store.QueuedByTenant(c.Request.Context(), ch.Name)
	if err != nil {
		abortInternal(c, err)
		return
	}
	v := channelView(ch, s.ready())
	v.Queued = queued
	if v.Queued == nil {
		v.Queued = map[string]int64{}
	}
	c.JSON(http.StatusOK, v)
}

// createChannel handles POST /admin/channels: 201 with the channel as
// stored. Every replica starts its links within a second; a deleted
// channel of the same name returns, with its queue.
func (s *Server) createChannel(c *gin.Context) {
	var b ChannelBody
	fields, e := readObject(c, s.maxBody, &b)
	if e != nil {
		abort(c, e)
		return
	}
	in, e := channelFromBody(&b, givenIn(fields))
	if e != nil {
		abort(c, e)
		return
	}
	ch, err := s.registry.CreateChannel(c.Request.Context(), actorOf(c), in)
	if err != nil {
		abortRegistry(c, err)
		return
	}
	logOf(c).channel = ch.Name
	c.Header("Location", "/admin/channels/"+ch.Name)
	c.JSON(http.StatusCreated, channelView(ch, s.ready()))
}

// patchChannel handles PATCH /admin/channels/{name}: a JSON merge patch of
// ChannelBody's fields over the stored channel. A change of address,
// secret, links or window replaces its links gracefully on every replica.
func (s *Server) patchChannel(c *gin.Context) {
	name := c.Param("name")
	var check ChannelBody
	patch, e := readObject(c, s.maxBody, &check)
	if e != nil {
		abort(c, e)
		return
	}
	if _, e := channelFromBody(&check, nil); e != nil {
		abort(c, e)
		return
	}
	ch, err := s.registry.UpdateChannel(c.Request.Context(), actorOf(c), name, func(ch *registry.Channel) error {
		var b ChannelBody
		merged, err := patchBody(bodyOfChannel(ch), patch, &b)
		if err != nil {
			return err
		}
		if b.Name != ch.Name {
			return invalidField("name", "cannot be changed")
		}
		next, e := channelFromBody(&b, givenIn(merged))
		if e != nil {
			return e
		}
		next.State = ch.State
		*ch = next
		return nil
	})
	if err != nil {
		abortRegistry(c, err)
		return
	}
	logOf(c).channel = ch.Name
	c.JSON(http.StatusOK, channelView(ch, s.ready()))
}

// deleteChannel handles DELETE /admin/channels/{name}: 204; its links stop
// on every replica, its queued segments stay queued until it returns or
// they are drained or failed.
func (s *Server) deleteChannel(c *gin.Context) {
	name := c.Param("name")
	logOf(c).channel = name
	if err := s.registry.DeleteChannel(c.Request.Context(), actorOf(c), name); err != nil {
		abortRegistry(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// now is the API's clock (the store's, so tests can move it).
func (s *Server) now() time.Time { return s.store.Options().Now() }
